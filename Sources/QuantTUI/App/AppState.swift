import QuantCore

/// Everything the explorer shows, as a plain value: `update` changes it, views draw it.
public struct AppState: Sendable {
    // Model and plan
    public var model: ModelSummary
    public var plan: Plan { didSet { resolvePlan() } }
    /// The plan as last loaded or saved: the plan differs from it when there are unsaved changes.
    public var savedPlan: Plan
    public var planPath: String
    public private(set) var resolved: [ResolvedTensor] = []

    // The layer list
    public let groups: [TensorGroup]
    public let groupOfTensor: [Int]
    public var grouped: Bool
    public var collapsed: Set<String> = []
    public var sort: SortOrder = .file
    public var filter: String = ""
    public internal(set) var rows: [Row] = []
    public var selection = 0
    public var listTop = 0
    public var marks: Set<Int> = []
    public var search = ""

    // Panes
    public var focus: Pane = .list
    public var histogramSource: HistogramSource = .weights
    public var logScale = false
    /// 0: the full range; 1: the central 99.9 % of the weights; 2: the central 99 %.
    public var zoom = 0
    public var showGrid = true
    public var candidateCursor = 0

    // Editing
    public var undoStack: [PlanChange] = []
    public var redoStack: [PlanChange] = []
    public var prompt: Prompt?
    /// The spec menu: open with its cursor.
    public var menuCursor: Int?
    public var showHelp = false
    public var confirmQuit = false
    public var message: Message?

    // Results
    public var stats: [Int: TensorStats] = [:]
    public var statsFailures: [Int: String] = [:]
    public var results: [EvalKey: QuantResult] = [:]
    public var failures: [EvalKey: String] = [:]
    /// The last result shown for each tensor's planned spec: drawn, marked stale, until the new one arrives.
    public var lastShown: [Int: QuantResult] = [:]
    public var running: JobTicket?
    public var cancelRequested = false
    public var nextJobID = 1
    public var saving = false
    public var quitAfterSave = false

    // Terminal
    public var width: Int
    public var height: Int
    public var ascii: Bool
    public var tick = 0

    /// Histogram bins asked of statistics and evaluations: enough to zoom into the central part.
    public static let histogramBins = 512

    public init(model: ModelSummary, plan: Plan, planPath: String, width: Int = 80, height: Int = 24, ascii: Bool = false) {
        self.model = model
        self.plan = plan
        savedPlan = plan
        self.planPath = planPath
        self.width = width
        self.height = height
        self.ascii = ascii
        let groups = TensorGroup.make(model.tensors)
        var groupOf = [Int](repeating: 0, count: model.tensors.count)
        for (g, group) in groups.enumerated() { for member in group.members { groupOf[member] = g } }
        self.groups = groups
        groupOfTensor = groupOf
        grouped = groups.contains { $0.members.count > 1 } && groups.count < model.tensors.count
        resolvePlan()
        rebuildRows()
    }

    public var isDirty: Bool { plan != savedPlan }
    public var layout: Layout { Layout(width: width, height: height) }

    // MARK: - Derived

    mutating func resolvePlan() {
        resolved = model.tensors.map { tensor in
            let (spec, source, fallbackFor) = plan.resolve(tensor)
            let bytes = SpecSize.storedBytes(of: tensor, spec: spec)
            let problem = PlanValidation.applicability(of: spec, to: tensor)
            return ResolvedTensor(spec: spec, source: source, fallbackFor: fallbackFor, bytes: bytes ?? tensor.byteCount, problem: problem)
        }
        for (t, entry) in resolved.enumerated() {
            if let result = bestResult(EvalKey(tensor: t, spec: entry.spec)) { lastShown[t] = result }
        }
    }

    /// The tensor the cursor is on (the first member of a selected group).
    public var selectedTensor: Int? {
        guard rows.indices.contains(selection) else { return nil }
        switch rows[selection] {
        case let .tensor(t): return t
        case let .group(g): return groups[g].members.first
        }
    }

    /// The tensors an edit applies to: the marked ones, else the selected tensor, else the selected group's
    /// matrices (its 1-D tensors, norms and biases, only when it has nothing else).
    public var editTargets: [Int] {
        if !marks.isEmpty { return marks.sorted() }
        guard rows.indices.contains(selection) else { return [] }
        switch rows[selection] {
        case let .tensor(t): return [t]
        case let .group(g): return matrices(of: groups[g].members)
        }
    }

    /// The tensors of `list` with two or more dimensions, or all of them when there are none.
    func matrices(of list: [Int]) -> [Int] {
        let matrices = list.filter { model.tensors[$0].shape.count >= 2 }
        return matrices.isEmpty ? list : matrices
    }

    func bestResult(_ key: EvalKey) -> QuantResult? {
        if case .keep = key.spec.family { return .kept(model.tensors[key.tensor]) }
        return results[key]
    }

    /// The measured result of a tensor's planned spec, and whether it belongs to an earlier spec (stale).
    public func plannedResult(_ t: Int) -> (result: QuantResult, stale: Bool)? {
        if let result = bestResult(EvalKey(tensor: t, spec: resolved[t].spec)) { return (result, false) }
        if let last = lastShown[t] { return (last, true) }
        return nil
    }

    /// Whether a tensor's filter lets it show.
    func passesFilter(_ t: Int) -> Bool {
        guard !filter.isEmpty else { return true }
        let name = model.tensors[t].name
        if filter.contains(where: { "*?[".contains($0) }) { return Glob(filter).matches(name) }
        return name.lowercased().contains(filter.lowercased())
    }

    func sortKeyLess(_ a: Int, _ b: Int) -> Bool {
        switch sort {
        case .file: return a < b
        case .name: return NaturalOrder.less(model.tensors[a].name, model.tensors[b].name)
        case .size:
            let x = model.tensors[a].elementCount, y = model.tensors[b].elementCount
            return x != y ? x > y : a < b
        case .error:
            let x = sortSQNR(a), y = sortSQNR(b)
            return x != y ? x < y : a < b
        }
    }

    /// SQNR for sorting: unknown sorts after everything measured, exact (keep) after that.
    func sortSQNR(_ t: Int) -> Double {
        guard let (result, _) = plannedResult(t) else { return .greatestFiniteMagnitude }
        let sqnr = result.error.sqnr
        return sqnr.isNaN ? .greatestFiniteMagnitude : sqnr
    }

    /// Recomputes the list's rows from the grouping, sort, filter and collapsed groups, keeping the cursor
    /// on the same tensor or group.
    public mutating func rebuildRows() {
        let previous = rows.indices.contains(selection) ? rows[selection] : nil
        rows = computeRows(collapsed: collapsed)
        if let previous, let index = rows.firstIndex(of: previous) {
            selection = index
        } else if let previous, case let .tensor(t) = previous, let index = rows.firstIndex(of: .group(groupOfTensor[t])) {
            selection = index
        } else {
            selection = min(selection, max(0, rows.count - 1))
        }
        scrollToSelection()
    }

    /// The list's rows with the given groups collapsed.
    func computeRows(collapsed: Set<String>) -> [Row] {
        var newRows: [Row] = []
        let visible = model.tensors.indices.filter(passesFilter)
        if grouped {
            var byGroup: [Int: [Int]] = [:]
            for t in visible { byGroup[groupOfTensor[t], default: []].append(t) }
            var order = byGroup.keys.sorted()
            switch sort {
            case .file: break
            case .name: order.sort { NaturalOrder.less(groups[$0].name, groups[$1].name) }
            case .size:
                let size = { (g: Int) in self.groups[g].members.reduce(0) { $0 + self.model.tensors[$1].elementCount } }
                order.sort { size($0) != size($1) ? size($0) > size($1) : $0 < $1 }
            case .error:
                let worst = { (g: Int) in self.groups[g].members.map(self.sortSQNR).min() ?? .greatestFiniteMagnitude }
                order.sort { worst($0) != worst($1) ? worst($0) < worst($1) : $0 < $1 }
            }
            for g in order {
                let members = byGroup[g]!.sorted(by: sortKeyLess)
                if groups[g].members.count == 1 {
                    newRows.append(.tensor(members[0]))
                } else {
                    newRows.append(.group(g))
                    if !collapsed.contains(groups[g].name) { newRows += members.map(Row.tensor) }
                }
            }
        } else {
            newRows = visible.sorted(by: sortKeyLess).map(Row.tensor)
        }
        return newRows
    }

    /// Moves `listTop` so the cursor's row is visible.
    mutating func scrollToSelection() {
        let visible = max(1, layout.listRows)
        if selection < listTop { listTop = selection }
        if selection >= listTop + visible { listTop = selection - visible + 1 }
        listTop = max(0, min(listTop, max(0, rows.count - visible)))
    }

    // MARK: - Totals

    /// Model totals under the plan: exact size now, error over what has been measured.
    public struct Totals: Sendable, Equatable {
        public var bytes: Int
        public var sourceBytes: Int
        public var parameters: Int
        public var weightedMSE: Double
        public var worstSQNR: Double
        public var worstTensor: Int?
        /// Tensors whose planned spec has not been measured yet.
        public var pending: Int

        public var bitsPerWeight: Double { parameters == 0 ? 0 : Double(bytes) * 8 / Double(parameters) }
        public var vsSource: Double { bytes == 0 ? 0 : Double(sourceBytes) / Double(bytes) }
        public var vsF16: Double { bytes == 0 ? 0 : Double(parameters * 2) / Double(bytes) }
    }

    public var totals: Totals {
        var totals = Totals(bytes: 0, sourceBytes: model.sourceBytes, parameters: model.parameterCount, weightedMSE: 0, worstSQNR: .infinity, worstTensor: nil, pending: 0)
        var squared = 0.0, count = 0
        for (t, entry) in resolved.enumerated() {
            totals.bytes += entry.bytes
            if let result = bestResult(EvalKey(tensor: t, spec: entry.spec)) {
                squared += result.error.sumSquaredError
                count += result.error.count
                if result.error.sqnr < totals.worstSQNR { totals.worstSQNR = result.error.sqnr; totals.worstTensor = t }
            } else if entry.problem == nil, failures[EvalKey(tensor: t, spec: entry.spec)] == nil {
                totals.pending += 1
            }
        }
        totals.weightedMSE = count == 0 ? 0 : squared / Double(count)
        return totals
    }

    /// Background progress: statistics and planned evaluations done out of all.
    public var progress: (statsDone: Int, statsTotal: Int, evalDone: Int, evalTotal: Int) {
        let decodable = model.tensors.indices.filter { model.tensors[$0].dtype.isDecodable }
        let statsDone = decodable.filter { stats[$0] != nil || statsFailures[$0] != nil }.count
        var evalTotal = 0, evalDone = 0
        for (t, entry) in resolved.enumerated() {
            if case .keep = entry.spec.family { continue }
            guard entry.problem == nil else { continue }
            evalTotal += 1
            let key = EvalKey(tensor: t, spec: entry.spec)
            if results[key] != nil || failures[key] != nil { evalDone += 1 }
        }
        return (statsDone, decodable.count, evalDone, evalTotal)
    }
}

/// A plan as it was before a change, and what the change was.
public struct PlanChange: Sendable, Equatable {
    public var plan: Plan
    public var label: String
}

/// Orders names with their digit runs compared as numbers, so `blk.2` comes before `blk.10`.
enum NaturalOrder {
    static func less(_ a: String, _ b: String) -> Bool {
        var i = a.unicodeScalars.makeIterator(), j = b.unicodeScalars.makeIterator()
        var x = i.next(), y = j.next()
        while let p = x, let q = y {
            if p.properties.numericType != nil, q.properties.numericType != nil, ("0"..."9").contains(p), ("0"..."9").contains(q) {
                var m = "", n = ""
                while let c = x, ("0"..."9").contains(c) { m.unicodeScalars.append(c); x = i.next() }
                while let c = y, ("0"..."9").contains(c) { n.unicodeScalars.append(c); y = j.next() }
                let mt = m.drop { $0 == "0" }, nt = n.drop { $0 == "0" }
                if mt.count != nt.count { return mt.count < nt.count }
                if mt != nt { return mt < nt }
                continue
            }
            if p != q { return p.value < q.value }
            x = i.next(); y = j.next()
        }
        return x == nil && y != nil
    }
}
