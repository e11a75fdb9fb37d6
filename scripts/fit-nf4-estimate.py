"""Fits the cubic whose truncation estimates an NF4 code to within one (see NF4Estimate in QuantKernelsAVX2)."""
import numpy as np
from scipy.optimize import linprog
t = np.array([-0.8480964004993439, -0.6106329262256622, -0.4599952697753906, -0.33967943489551544,
 -0.23460740596055984, -0.13791173323988914, -0.045525018125772476, 0.03979014977812767,
 0.1202552504837513, 0.2035212516784668, 0.2920137718319893, 0.3893125355243683,
 0.5016634166240692, 0.6427869200706482, 0.8614784181118011], dtype=np.float32).astype(np.float64)
R = 1.01
v = np.unique(np.concatenate([np.linspace(-R, R, 400001), t, np.nextafter(t, 2)]))
k = np.searchsorted(t, v, side='left')
lo = np.maximum(k - 1, 0).astype(float); hi = np.minimum(k + 1, 15).astype(float)
V = np.vstack([v**j for j in range(4)]).T
A = np.vstack([np.hstack([-V, np.ones((len(v), 1))]), np.hstack([V, np.ones((len(v), 1))])])
r = linprog(np.r_[np.zeros(4), -1], A_ub=A, b_ub=np.r_[-lo, hi], bounds=[(None, None)] * 5, method='highs')
print("margin", -r.fun)
print([repr(float(np.float32(c))) for c in r.x[:4]])
