import QuantCore

/// The text and JSON forms of `quantscope inspect`.
struct InspectReport {
    let model: Model
    let tensors: [TensorInfo]
    let stats: [TensorStats?]?
    let showMetadata: Bool

    func text() -> String {
        var out: [String] = []
        out.append("\(model.path)  \(model.format)  \(model.tensors.count) tensors  \(NumberFormat.count(model.parameterCount)) parameters  \(NumberFormat.bytes(model.tensorBytes))")
        if showMetadata && !model.metadata.isEmpty {
            var table = TextTable([("key", .left), ("value", .left)])
            for entry in model.metadata { table.add([entry.key.escapedForTerminal, entry.value.summary]) }
            out.append("")
            out.append(table.render())
        }
        var columns: [(String, TextTable.Alignment)] = [("name", .left), ("dtype", .left), ("shape", .left), ("params", .right), ("bytes", .right)]
        if stats != nil {
            columns += [("min", .right), ("max", .right), ("mean", .right), ("std", .right), ("max|w|", .right), ("kurt", .right), ("zeros", .right), ("nan/inf", .right)]
        }
        var table = TextTable(columns)
        for (i, tensor) in tensors.enumerated() {
            var row = [tensor.name.escapedForTerminal, tensor.dtype.name, tensor.shapeText, NumberFormat.grouped(tensor.elementCount), NumberFormat.bytes(tensor.byteCount)]
            if let stats {
                if let s = stats[i] {
                    row += [s.min, s.max, s.mean, s.std, s.maxAbs, s.kurtosis].map(NumberFormat.compact)
                    row += [NumberFormat.percent(s.zeroFraction), s.nanCount + s.infCount == 0 ? "0" : "\(s.nanCount)/\(s.infCount)"]
                } else {
                    row += ["not decodable", "", "", "", "", "", "", ""]
                }
            }
            table.add(row)
        }
        out.append("")
        out.append(table.render())
        out.append("")
        let params = tensors.reduce(0) { $0 + $1.elementCount }
        let bytes = tensors.reduce(0) { $0 + $1.byteCount }
        let scope = tensors.count == model.tensors.count ? "" : " (filtered from \(model.tensors.count))"
        out.append("total: \(tensors.count) tensors\(scope), \(NumberFormat.grouped(params)) parameters, \(NumberFormat.bytes(bytes))")
        for group in byDType() {
            out.append("  \(group.dtype.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(group.tensors).leftPad(5)) tensors  \(NumberFormat.grouped(group.parameters).leftPad(15)) parameters  \(NumberFormat.bytes(group.bytes).leftPad(11))")
        }
        if tensors.contains(where: { !$0.dtype.isDecodable }) {
            out.append("note: tensors of types \(Set(tensors.filter { !$0.dtype.isDecodable }.map(\.dtype.name)).sorted().joined(separator: ", ")) are listed but cannot be decoded")
        }
        return out.joined(separator: "\n")
    }

    struct DTypeGroup { var dtype: String; var tensors: Int; var parameters: Int; var bytes: Int }

    func byDType() -> [DTypeGroup] {
        var groups: [DTypeGroup] = []
        for tensor in tensors {
            if let i = groups.firstIndex(where: { $0.dtype == tensor.dtype.name }) {
                groups[i].tensors += 1; groups[i].parameters += tensor.elementCount; groups[i].bytes += tensor.byteCount
            } else {
                groups.append(DTypeGroup(dtype: tensor.dtype.name, tensors: 1, parameters: tensor.elementCount, bytes: tensor.byteCount))
            }
        }
        return groups.sorted { $0.bytes > $1.bytes }
    }

    func json() -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("file", .string(model.path)),
            ("format", .string(model.format.description)),
            ("tensor_count", .int(tensors.count)),
            ("parameters", .int(tensors.reduce(0) { $0 + $1.elementCount })),
            ("bytes", .int(tensors.reduce(0) { $0 + $1.byteCount })),
        ]
        if showMetadata {
            members.append(("metadata", .object(model.metadata.map { ($0.key, Self.json($0.value)) })))
        }
        members.append(("by_dtype", .array(byDType().map {
            .object([("dtype", .string($0.dtype)), ("tensors", .int($0.tensors)), ("parameters", .int($0.parameters)), ("bytes", .int($0.bytes))])
        })))
        members.append(("tensors", .array(tensors.enumerated().map { i, tensor in
            var entry = Self.json(tensor: tensor, stats: stats?[i], includeHistogram: false)
            if case var .object(fields) = entry, model.tensors.count > 0, case .shardedSafetensors = model.format {
                fields.append(("file", .string(model.filePath(of: tensor))))
                entry = .object(fields)
            }
            return entry
        })))
        return .object(members)
    }

    static func json(tensor: TensorInfo, stats: TensorStats?, includeHistogram: Bool) -> JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("name", .string(tensor.name)),
            ("dtype", .string(tensor.dtype.name)),
            ("shape", .array(tensor.shape.map { .int($0) })),
            ("parameters", .int(tensor.elementCount)),
            ("bytes", .int(tensor.byteCount)),
            ("data_offset", tensor.dataOffset.map { .int($0) } ?? .null),
            ("decodable", .bool(tensor.dtype.isDecodable)),
        ]
        if let s = stats {
            var statFields: [(key: String, value: JSONValue)] = [
                ("count", .int(s.count)), ("nan", .int(s.nanCount)), ("inf", .int(s.infCount)), ("zeros", .int(s.zeroCount)),
                ("min", .double(s.min)), ("max", .double(s.max)), ("mean", .double(s.mean)), ("std", .double(s.std)),
                ("max_abs", .double(s.maxAbs)), ("kurtosis", .double(s.kurtosis)),
            ]
            if includeHistogram {
                statFields.append(("histogram", .object([
                    ("lower", .double(s.histogram.lower)), ("upper", .double(s.histogram.upper)),
                    ("counts", .array(s.histogram.counts.map { .int($0) })),
                ])))
            }
            fields.append(("stats", .object(statFields)))
        }
        return .object(fields)
    }

    static func json(_ value: MetadataValue) -> JSONValue {
        switch value {
        case let .uint(v): return .number(String(v))
        case let .int(v): return .number(String(v))
        case let .float(v): return .double(v)
        case let .bool(v): return .bool(v)
        case let .string(s): return .string(s)
        case let .array(type, count, values):
            return .object([("type", .string(type)), ("count", .int(count)), ("values", .array(values.map(json)))])
        }
    }

    static func statsLine(_ s: TensorStats) -> String {
        let parts = [
            "min \(NumberFormat.compact(s.min))", "max \(NumberFormat.compact(s.max))", "mean \(NumberFormat.compact(s.mean))",
            "std \(NumberFormat.compact(s.std))", "kurtosis \(NumberFormat.compact(s.kurtosis))",
            "zeros \(NumberFormat.percent(s.zeroFraction))", "nan \(s.nanCount)", "inf \(s.infCount)",
        ]
        return parts.joined(separator: "  ")
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
