import Foundation

/// Number formatting shared by the CLI and the TUI, so both print the same figures.
public enum NumberFormat {
    /// A value in 4 significant digits, switching to exponent notation for very large or small magnitudes.
    public static func compact(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e-3 && magnitude < 1e5 { return String(format: "%.4g", value) }
        return String(format: "%.3e", value)
    }

    /// A count with thousands separators: 11,272,192.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    /// A parameter count with a unit: 45.1M, 7.24B, 850K.
    public static func count(_ value: Int) -> String {
        let v = Double(value)
        if v >= 1e9 { return String(format: "%.2fB", v / 1e9) }
        if v >= 1e6 { return String(format: "%.2fM", v / 1e6) }
        if v >= 1e4 { return String(format: "%.1fK", v / 1e3) }
        return String(value)
    }

    /// A byte size in binary units: 4.00 GiB, 812.5 KiB, 96 B.
    public static func bytes(_ value: Int) -> String {
        let v = Double(value)
        let units = ["KiB", "MiB", "GiB", "TiB"]
        if v < 1024 { return "\(value) B" }
        var scaled = v / 1024
        var unit = 0
        while scaled >= 1024 && unit < units.count - 1 { scaled /= 1024; unit += 1 }
        return String(format: scaled >= 100 ? "%.1f" : "%.2f", scaled) + " " + units[unit]
    }

    /// A percentage with one decimal.
    public static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }
}
