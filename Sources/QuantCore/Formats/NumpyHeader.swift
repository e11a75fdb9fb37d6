/// The header of a `.npy` array: magic, version, and a Python dict literal with `descr`, `fortran_order`, `shape`.
struct NumpyHeader {
    var dtype: DType
    var shape: [Int]
    var elementCount: Int
    var dataBytes: Int
    /// Bytes from the start of the `.npy` to its data.
    var headerLength: Int

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // \x93NUMPY

    /// Parses the header at the start of `bytes`. `path` and `baseOffset` are for error messages.
    static func parse(_ bytes: UnsafeRawBufferPointer, path: String, baseOffset: Int, label: String = "array") throws -> NumpyHeader {
        var r = ByteReader(bytes, path: path, baseOffset: baseOffset)
        let magicBytes = try r.readBytes(6, "the .npy magic")
        guard Array(magicBytes) == magic else { throw r.error("\(label) is not a .npy array: bad magic", at: baseOffset) }
        let major = try r.read(UInt8.self, "the .npy version")
        _ = try r.read(UInt8.self, "the .npy version")
        let length: Int
        switch major {
        case 1: length = Int(try r.read(UInt16.self, "the .npy header length"))
        case 2, 3: length = Int(try r.read(UInt32.self, "the .npy header length"))
        default: throw ModelError.unsupported(path: path, problem: "\(label): .npy format version \(major) is not supported")
        }
        let text = String(decoding: try r.readBytes(length, "the .npy header"), as: UTF8.self)
        let headerOffset = baseOffset + (major == 1 ? 10 : 12)
        func bad(_ problem: String) -> ModelError { .malformed(path: path, problem: "\(label): \(problem)", offset: headerOffset) }
        var literal = PythonLiteralParser(text)
        guard case let .dict(entries)? = try? literal.parseValue() else { throw bad("the .npy header is not a Python dict literal") }
        guard case let .string(descr)? = entries["descr"] else {
            if entries["descr"] != nil { throw ModelError.unsupported(path: path, problem: "\(label): structured arrays are not supported") }
            throw bad("the .npy header has no 'descr'")
        }
        guard case let .bool(fortran)? = entries["fortran_order"] else { throw bad("the .npy header has no 'fortran_order'") }
        guard case let .tuple(dims)? = entries["shape"] else { throw bad("the .npy header has no 'shape' tuple") }
        guard dims.count <= 16, dims.allSatisfy({ $0 >= 0 }) else { throw bad("shape \(dims) is not valid") }
        let dtype = try dtype(descr: descr, path: path, label: label)
        if fortran && dims.filter({ $0 > 1 }).count > 1 {
            throw ModelError.unsupported(path: path, problem: "\(label): Fortran-ordered arrays are not supported; save np.ascontiguousarray(a)")
        }
        guard let elements = TensorInfo.elementCount(of: dims), let dataBytes = dtype.byteCount(elements: elements) else {
            throw bad("shape \(dims) has too many elements")
        }
        return NumpyHeader(dtype: dtype, shape: dims, elementCount: elements, dataBytes: dataBytes, headerLength: r.position)
    }

    static func dtype(descr: String, path: String, label: String) throws -> DType {
        guard let order = descr.first, descr.count >= 2 else {
            throw ModelError.unsupported(path: path, problem: "\(label): dtype '\(descr.escapedForTerminal)' is not supported")
        }
        let code = String(descr.dropFirst())
        let table: [String: DType] = [
            "f2": .f16, "f4": .f32, "f8": .f64, "i1": .i8, "i2": .i16, "i4": .i32, "i8": .i64,
            "u1": .u8, "u2": .u16, "u4": .u32, "u8": .u64, "b1": .bool,
        ]
        guard "<>|=".contains(order), let dtype = table[code] else {
            let hint = code.hasPrefix("V") ? " (raw void data such as ml_dtypes' bfloat16 carries no type; save as float32)" : ""
            throw ModelError.unsupported(path: path, problem: "\(label): dtype '\(descr.escapedForTerminal)' is not supported\(hint)")
        }
        if order == ">" && dtype.elementBytes > 1 {
            throw ModelError.unsupported(path: path, problem: "\(label): big-endian arrays are not supported; save a.astype('<\(code)')")
        }
        return dtype
    }
}

/// Just enough of Python's literal syntax for `.npy` headers: dicts, strings, booleans, integers and tuples.
struct PythonLiteralParser {
    enum Value: Equatable {
        case dict([String: Value])
        case string(String)
        case bool(Bool)
        case int(Int)
        case tuple([Int])
        case other
    }

    private let chars: [Character]
    private var i = 0

    init(_ text: String) { chars = Array(text) }

    private mutating func skipSpace() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

    struct Failure: Error {}

    mutating func parseValue() throws -> Value {
        skipSpace()
        guard i < chars.count else { throw Failure() }
        switch chars[i] {
        case "{":
            i += 1
            var entries: [String: Value] = [:]
            while true {
                skipSpace()
                if i < chars.count, chars[i] == "}" { i += 1; return .dict(entries) }
                guard case let .string(key) = try parseValue() else { throw Failure() }
                skipSpace()
                guard i < chars.count, chars[i] == ":" else { throw Failure() }
                i += 1
                entries[key] = try parseValue()
                skipSpace()
                if i < chars.count, chars[i] == "," { i += 1 }
            }
        case "'", "\"":
            let quote = chars[i]
            i += 1
            var s = ""
            while i < chars.count, chars[i] != quote { s.append(chars[i]); i += 1 }
            guard i < chars.count else { throw Failure() }
            i += 1
            return .string(s)
        case "(":
            i += 1
            var items: [Int] = []
            while true {
                skipSpace()
                if i < chars.count, chars[i] == ")" { i += 1; return .tuple(items) }
                guard case let .int(n) = try parseValue() else { throw Failure() }
                items.append(n)
                skipSpace()
                if i < chars.count, chars[i] == "," { i += 1 }
            }
        case "[":
            // A list descr means a structured dtype; skip to the matching bracket.
            var depth = 0
            while i < chars.count {
                if chars[i] == "[" { depth += 1 }
                if chars[i] == "]" { depth -= 1; if depth == 0 { i += 1; return .other } }
                i += 1
            }
            throw Failure()
        default:
            var word = ""
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "-" || chars[i] == "_" {
                word.append(chars[i]); i += 1
            }
            if word == "True" { return .bool(true) }
            if word == "False" { return .bool(false) }
            if let n = Int(word.hasSuffix("L") ? String(word.dropLast()) : word) { return .int(n) }
            throw Failure()
        }
    }
}
