/// Statistics for every decodable tensor of a model.
public enum ModelStatistics {
    /// Computes stats for `tensors` (all of the model's by default) in order; tensors that cannot be decoded get nil.
    /// `progress` is called after each tensor with the stored bytes done and the total.
    public static func compute(_ model: Model, tensors: [TensorInfo]? = nil, bins: Int = 64, threads: Int = Parallel.coreCount,
                               progress: ((_ doneBytes: Int, _ totalBytes: Int) -> Void)? = nil) throws -> [TensorStats?] {
        let list = tensors ?? model.tensors
        let total = list.reduce(0) { $0 + $1.byteCount }
        var done = 0
        var results: [TensorStats?] = []
        results.reserveCapacity(list.count)
        for tensor in list {
            if tensor.dtype.isDecodable {
                let view = try model.weights(of: tensor)
                results.append(StatsComputer.compute(view, bins: bins, threads: threads))
            } else {
                results.append(nil)
            }
            done += tensor.byteCount
            progress?(done, total)
        }
        return results
    }
}
