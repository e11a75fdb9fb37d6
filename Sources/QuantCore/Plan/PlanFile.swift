import Foundation

/// Reads and writes plans as versioned JSON (docs/plan-format.md) with a stable key order and layout.
public enum PlanFile {
    public static let formatName = "quantscope-plan"
    public static let version = 1

    /// Totals recorded in a plan file as information for people and tools; never read back as truth.
    public struct Totals: Sendable, Equatable {
        public var bytes: Int
        public var bitsPerWeight: Double
        public var weightedMSE: Double
        public var lowestSQNR: Double

        public init(bytes: Int, bitsPerWeight: Double, weightedMSE: Double, lowestSQNR: Double) {
            self.bytes = bytes
            self.bitsPerWeight = bitsPerWeight
            self.weightedMSE = weightedMSE
            self.lowestSQNR = lowestSQNR
        }

        public init(_ evaluation: ModelEvaluation) {
            self.init(bytes: evaluation.storedBytes, bitsPerWeight: evaluation.bitsPerWeight, weightedMSE: evaluation.weightedMSE, lowestSQNR: evaluation.lowestSQNR)
        }
    }

    /// The plan as JSON text.
    public static func encode(_ plan: Plan, totals: Totals? = nil) -> String {
        var members: [(key: String, value: JSONValue)] = [("format", .string(formatName)), ("version", .int(version))]
        if let model = plan.model {
            members.append(("model", .object([
                ("file", .string(model.fileName)), ("tensors", .int(model.tensorCount)),
                ("parameters", .int(model.parameterCount)), ("fingerprint", .string(model.fingerprint)),
            ])))
        }
        members.append(("default", .string(plan.defaultSpec.description)))
        members.append(("keep_1d", .bool(plan.keepOneDimensional)))
        members.append(("rules", .array(plan.rules.map { .object([("match", .string($0.pattern.text)), ("spec", .string($0.spec.description))]) })))
        members.append(("overrides", .object(plan.overrides.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value.description)) })))
        if let totals {
            members.append(("totals", .object([
                ("bytes", .int(totals.bytes)), ("bits_per_weight", .double((totals.bitsPerWeight * 1000).rounded() / 1000)),
                ("weighted_mse", .double(totals.weightedMSE)),
                ("lowest_sqnr_db", totals.lowestSQNR.isFinite ? .double((totals.lowestSQNR * 100).rounded() / 100) : .null),
            ])))
        }
        return JSONWriter.write(.object(members))
    }

    /// Parses plan JSON; `path` names the file in errors, which also give the JSON path of the bad field.
    public static func decode(_ text: String, path: String) throws -> Plan {
        let json: JSONValue
        do {
            json = try JSONParser.parse(text)
        } catch {
            throw PlanError.invalid(path: path, jsonPath: "(byte \(error.offset))", problem: "invalid JSON: \(error.message)")
        }
        func bad(_ jsonPath: String, _ problem: String) -> PlanError { .invalid(path: path, jsonPath: jsonPath, problem: problem) }
        guard json.objectValue != nil else { throw bad("$", "a plan must be a JSON object") }
        guard json["format"]?.stringValue == formatName else { throw bad("$.format", "must be \"\(formatName)\"") }
        guard let version = json["version"]?.intValue else { throw bad("$.version", "must be an integer") }
        guard version <= Self.version else { throw PlanError.unsupportedVersion(path: path, version: version) }
        guard version >= 1 else { throw bad("$.version", "must be 1") }
        let known: Set<String> = ["format", "version", "model", "default", "keep_1d", "rules", "overrides", "totals"]
        for (key, _) in json.objectValue! where !known.contains(key) { throw bad("$.\(key)", "unknown field") }
        func spec(_ value: JSONValue?, _ jsonPath: String) throws -> QuantSpec {
            guard let text = value?.stringValue else { throw bad(jsonPath, "must be a spec string") }
            do { return try QuantSpec(parsing: text) } catch { throw bad(jsonPath, "\(error)") }
        }
        var plan = Plan()
        plan.defaultSpec = json["default"] == nil ? .keep : try spec(json["default"], "$.default")
        if let keep = json["keep_1d"] {
            guard let flag = keep.boolValue else { throw bad("$.keep_1d", "must be true or false") }
            plan.keepOneDimensional = flag
        }
        if let rules = json["rules"] {
            guard let list = rules.arrayValue else { throw bad("$.rules", "must be an array") }
            for (i, rule) in list.enumerated() {
                guard let match = rule["match"]?.stringValue else { throw bad("$.rules[\(i)].match", "must be a string") }
                let pattern: TensorPattern
                do { pattern = try TensorPattern(match) } catch { throw bad("$.rules[\(i)].match", "\(error)") }
                plan.rules.append(Plan.Rule(pattern: pattern, spec: try spec(rule["spec"], "$.rules[\(i)].spec")))
            }
        }
        if let overrides = json["overrides"] {
            guard let pairs = overrides.objectValue else { throw bad("$.overrides", "must be an object of tensor name to spec") }
            for (name, value) in pairs { plan.overrides[name] = try spec(value, "$.overrides[\(JSONWriter.quoted(name))]") }
        }
        if let model = json["model"] {
            guard let file = model["file"]?.stringValue, let tensors = model["tensors"]?.intValue,
                  let parameters = model["parameters"]?.intValue, let fingerprint = model["fingerprint"]?.stringValue else {
                throw bad("$.model", "must have file, tensors, parameters and fingerprint")
            }
            plan.model = ModelIdentity(fileName: file, tensorCount: tensors, parameterCount: parameters, fingerprint: fingerprint)
        }
        return plan
    }

    /// Reads a plan file.
    public static func read(path: String) throws -> Plan {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            throw PlanError.unreadable(path: path, reason: !exists ? "no such file" : (isDirectory.boolValue ? "is a directory" : "cannot read file"))
        }
        guard data.count <= 64 << 20 else { throw PlanError.unreadable(path: path, reason: "file is larger than 64 MiB; not a plan") }
        return try decode(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Writes a plan atomically, keeping the previous version as `PATH.bak`.
    public static func write(_ plan: Plan, totals: Totals? = nil, to path: String) throws {
        try AtomicFile.write(Data(encode(plan, totals: totals).utf8), to: path, keepBackup: true)
    }
}
