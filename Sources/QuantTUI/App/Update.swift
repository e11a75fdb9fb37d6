import QuantCore

/// Applies an action to the state and returns what the runtime must do: pure, so it is tested directly.
public func update(_ state: inout AppState, _ action: Action) -> [Effect] {
    state.handle(action)
}

extension AppState {
    static let undoLimit = 500

    /// See `update(_:_:)`.
    public mutating func handle(_ action: Action) -> [Effect] {
        var effects: [Effect] = []
        switch action {
        case let .key(key):
            effects += handleKey(key)
        case let .resize(width, height):
            self.width = width
            self.height = height
            scrollToSelection()
        case let .statsFinished(tensor, stats):
            self.stats[tensor] = stats
            finishJob { if case .stats(tensor) = $0 { true } else { false } }
        case let .statsFailed(tensor, text):
            statsFailures[tensor] = text
            finishJob { if case .stats(tensor) = $0 { true } else { false } }
        case let .evaluationFinished(key, result):
            if let old = results[key], old.dequantizedHistogram != nil, result.dequantizedHistogram == nil {
                // Keep the result that carries histograms.
            } else {
                results[key] = result
            }
            if resolved.indices.contains(key.tensor), resolved[key.tensor].spec == key.spec { lastShown[key.tensor] = results[key] }
            finishJob { if case .evaluate(key, _) = $0 { true } else { false } }
            if sort == .error { rebuildRows() }
        case let .evaluationFailed(key, text):
            failures[key] = text
            finishJob { if case .evaluate(key, _) = $0 { true } else { false } }
        case let .jobCancelled(id):
            if running?.id == id { running = nil }
            cancelRequested = false
        case let .saved(path):
            saving = false
            savedPlan = plan
            message = Message("saved \(path)")
            if quitAfterSave { effects.append(.quit) }
        case let .saveFailed(text):
            saving = false
            quitAfterSave = false
            message = Message("not saved: \(text)", isError: true)
        case .tick:
            tick &+= 1
        }
        if !effects.contains(.quit) { effects += schedule() }
        return effects
    }

    mutating func finishJob(_ matches: (Job) -> Bool) {
        if let running, matches(running.job) {
            self.running = nil
            cancelRequested = false
        }
    }

    // MARK: - Keys

    mutating func handleKey(_ key: Key) -> [Effect] {
        if showHelp {
            showHelp = false
            return []
        }
        if confirmQuit {
            confirmQuit = false
            switch key {
            case .char("y"), .char("Y"): return [.quit]
            case .char("s"):
                quitAfterSave = true
                return save()
            default:
                message = Message("quit cancelled")
                return []
            }
        }
        if prompt != nil { return promptKey(key) }
        if menuCursor != nil { return menuKey(key) }
        guard let command = KeyMap.command(for: key) else {
            message = Message("\(key) does nothing here; ? shows the keys", isError: true)
            return []
        }
        message = nil
        return perform(command)
    }

    mutating func perform(_ command: Command) -> [Effect] {
        switch command {
        case .up: focus == .detail ? moveCandidate(-1) : moveSelection(to: selection - 1)
        case .down: focus == .detail ? moveCandidate(1) : moveSelection(to: selection + 1)
        case .top: moveSelection(to: 0)
        case .bottom: moveSelection(to: rows.count - 1)
        case .pageUp: moveSelection(to: selection - layout.listRows)
        case .pageDown: moveSelection(to: selection + layout.listRows)
        case .nextPane:
            focus = Pane(rawValue: (focus.rawValue + 1) % Pane.allCases.count)!
            if focus == .detail { candidateCursor = plannedCandidateIndex }
        case .previousPane:
            focus = Pane(rawValue: (focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!
            if focus == .detail { candidateCursor = plannedCandidateIndex }
        case .open:
            if focus == .detail {
                applyCandidate()
            } else if rows.indices.contains(selection), case let .group(g) = rows[selection] {
                setCollapsed(g, !collapsed.contains(groups[g].name))
            } else if selectedTensor != nil {
                openMenu()
            }
        case .collapse:
            if rows.indices.contains(selection) {
                switch rows[selection] {
                case let .group(g): setCollapsed(g, true)
                case let .tensor(t):
                    if grouped, groups[groupOfTensor[t]].members.count > 1, let index = rows.firstIndex(of: .group(groupOfTensor[t])) {
                        selection = index
                        setCollapsed(groupOfTensor[t], true)
                    }
                }
            }
        case .expand:
            if rows.indices.contains(selection), case let .group(g) = rows[selection] { setCollapsed(g, false) }
        case .search: prompt = Prompt(kind: .search, text: "")
        case .searchNext: findMatch(forward: true, skipCurrent: true)
        case .searchPrevious: findMatch(forward: false, skipCurrent: true)
        case .filter: prompt = Prompt(kind: .filter, text: filter)
        case .sort:
            sort = SortOrder(rawValue: (sort.rawValue + 1) % SortOrder.allCases.count)!
            rebuildRows()
            message = Message("sorted by \(sort.title)")
        case .toggleTree:
            grouped.toggle()
            rebuildRows()
            message = Message(grouped ? "grouped by block" : "flat list")
        case .raiseBits: edit("more bits", SpecStepper.raise)
        case .lowerBits: edit("fewer bits", SpecStepper.lower)
        case .cycleFamily: edit("another scheme", SpecStepper.nextFamily)
        case .cycleGranularity: edit("granularity (int and fp8 only)", SpecStepper.nextGranularity)
        case .cycleGroupSize: edit("group size (int and nf4 only)", SpecStepper.nextGroupSize)
        case .toggleSymmetry: edit("sym/asym (int only)", SpecStepper.toggleSymmetry)
        case .keep: edit("keep") { _, _ in .keep }
        case .specMenu: openMenu()
        case .typeSpec: prompt = Prompt(kind: .spec, text: selectedTensor.map { resolved[$0].spec.description } ?? "")
        case .defaultSpec: prompt = Prompt(kind: .defaultSpec, text: plan.defaultSpec.description)
        case .addRule: prompt = Prompt(kind: .rule, text: "")
        case .mark: toggleMark()
        case .markAll:
            if marks.isEmpty {
                marks = Set(matrices(of: model.tensors.indices.filter(passesFilter)))
                message = Message("\(marks.count) layers marked; changes apply to all of them (* again clears)")
            } else {
                marks = []
                message = Message("marks cleared")
            }
        case .undo:
            guard let change = undoStack.popLast() else { message = Message("nothing to undo"); break }
            redoStack.append(PlanChange(plan: plan, label: change.label))
            plan = change.plan
            rebuildRows()
            message = Message("undone: \(change.label)")
        case .redo:
            guard let change = redoStack.popLast() else { message = Message("nothing to redo"); break }
            undoStack.append(PlanChange(plan: plan, label: change.label))
            plan = change.plan
            rebuildRows()
            message = Message("redone: \(change.label)")
        case .save: return save()
        case .quit:
            if isDirty {
                confirmQuit = true
                return []
            }
            return [.quit]
        case .help: showHelp = true
        case .logScale: logScale.toggle()
        case .zoom: zoom = (zoom + 1) % 3
        case .dequantized: histogramSource = histogramSource == .dequantized ? .weights : .dequantized
        case .errorHistogram: histogramSource = histogramSource == .error ? .weights : .error
        case .grid: showGrid.toggle()
        }
        return []
    }

    mutating func moveSelection(to index: Int) {
        guard !rows.isEmpty else { return }
        let target = max(0, min(rows.count - 1, index))
        selection = target
        scrollToSelection()
        candidateCursor = plannedCandidateIndex
    }

    /// Where the candidate cursor starts: on the selected tensor's planned spec.
    var plannedCandidateIndex: Int {
        guard let t = selectedTensor else { return 0 }
        return SpecStepper.candidates(for: model.tensors[t]).firstIndex(of: resolved[t].spec) ?? 0
    }

    mutating func moveCandidate(_ delta: Int) {
        guard let t = selectedTensor else { return }
        let count = SpecStepper.candidates(for: model.tensors[t]).count
        candidateCursor = max(0, min(count - 1, candidateCursor + delta))
    }

    mutating func setCollapsed(_ group: Int, _ value: Bool) {
        if value { collapsed.insert(groups[group].name) } else { collapsed.remove(groups[group].name) }
        rebuildRows()
    }

    mutating func toggleMark() {
        let targets: [Int]
        guard rows.indices.contains(selection) else { return }
        switch rows[selection] {
        case let .tensor(t): targets = [t]
        case let .group(g): targets = matrices(of: groups[g].members)
        }
        if targets.allSatisfy(marks.contains) { marks.subtract(targets) } else { marks.formUnion(targets) }
        message = Message("\(marks.count) marked")
        moveSelection(to: selection + 1)
    }

    // MARK: - Editing the plan

    /// Changes the spec of the edit targets with `transform`; specs that do not apply are refused with the reason.
    mutating func edit(_ verb: String, _ transform: (QuantSpec, TensorInfo) -> QuantSpec?) {
        let targets = editTargets
        guard !targets.isEmpty else { return }
        var newPlan = plan
        var changes: [(tensor: Int, from: QuantSpec, to: QuantSpec)] = []
        var refusals: [String] = []
        for t in targets {
            let tensor = model.tensors[t]
            let current = resolved[t].spec
            guard tensor.dtype.isDecodable else {
                refusals.append("\(tensor.name.escapedForTerminal): its type \(tensor.dtype.name) cannot be decoded")
                continue
            }
            guard let next = transform(current, tensor) else {
                refusals.append("\(tensor.name.escapedForTerminal): no \(verb) from \(current)")
                continue
            }
            if let problem = PlanValidation.applicability(of: next, to: tensor) {
                refusals.append("\(tensor.name.escapedForTerminal): \(next) \(problem)")
                continue
            }
            guard next != current else { continue }
            Self.setSpec(next, for: tensor, in: &newPlan)
            changes.append((t, current, next))
        }
        guard !changes.isEmpty else {
            message = Message(refusals.first.map { refusals.count > 1 ? "\($0) (and \(refusals.count - 1) more)" : $0 } ?? "no change", isError: !refusals.isEmpty)
            return
        }
        var label: String
        if changes.count == 1 {
            let c = changes[0]
            label = "\(model.tensors[c.tensor].name.escapedForTerminal): \(c.from) → \(c.to)"
        } else {
            let targetsSpecs = Set(changes.map(\.to))
            label = "\(changes.count) layers → " + (targetsSpecs.count == 1 ? "\(changes[0].to)" : verb)
        }
        if !refusals.isEmpty { label += " (\(refusals.count) unchanged: \(refusals[0]))" }
        commit(newPlan, label: label)
    }

    /// Sets an override, or removes it when the plan gives the tensor that spec anyway.
    static func setSpec(_ spec: QuantSpec, for tensor: TensorInfo, in plan: inout Plan) {
        plan.overrides[tensor.name] = nil
        if plan.resolve(tensor).spec != spec { plan.overrides[tensor.name] = spec }
    }

    mutating func commit(_ newPlan: Plan, label: String) {
        undoStack.append(PlanChange(plan: plan, label: label))
        if undoStack.count > Self.undoLimit { undoStack.removeFirst() }
        redoStack.removeAll()
        plan = newPlan
        rebuildRows()
        message = Message(label)
    }

    mutating func applySpec(_ spec: QuantSpec) {
        edit("change to \(spec)") { _, _ in spec }
    }

    mutating func applyCandidate() {
        guard let t = selectedTensor else { return }
        let list = SpecStepper.candidates(for: model.tensors[t])
        guard list.indices.contains(candidateCursor) else { return }
        applySpec(list[candidateCursor])
    }

    mutating func openMenu() {
        guard let t = selectedTensor else { return }
        let list = SpecStepper.candidates(for: model.tensors[t])
        menuCursor = list.firstIndex(of: resolved[t].spec) ?? 0
    }

    mutating func menuKey(_ key: Key) -> [Effect] {
        guard let t = selectedTensor, let cursor = menuCursor else { menuCursor = nil; return [] }
        let list = SpecStepper.candidates(for: model.tensors[t])
        switch key {
        case .up, .char("k"): menuCursor = max(0, cursor - 1)
        case .down, .char("j"): menuCursor = min(list.count - 1, cursor + 1)
        case .home, .char("g"): menuCursor = 0
        case .end, .char("G"): menuCursor = list.count - 1
        case .enter, .char(" "):
            menuCursor = nil
            if list.indices.contains(cursor) { applySpec(list[cursor]) }
        case .char("e"):
            menuCursor = nil
            prompt = Prompt(kind: .spec, text: resolved[t].spec.description)
        default:
            menuCursor = nil
        }
        return []
    }

    // MARK: - Prompts

    mutating func promptKey(_ key: Key) -> [Effect] {
        guard var current = prompt else { return [] }
        switch key {
        case .escape:
            prompt = nil
            message = nil
        case .backspace, .delete:
            if current.text.isEmpty { prompt = nil } else { current.text.removeLast(); prompt = current }
        case .ctrl("u"):
            current.text = ""
            prompt = current
        case .enter:
            submit(current)
        case let .char(c):
            current.text.append(c)
            prompt = current
            if current.kind == .search {
                search = current.text
                findMatch(forward: true, skipCurrent: false)
            }
        case .tab:
            break
        default:
            break
        }
        return []
    }

    mutating func submit(_ entered: Prompt) {
        let text = entered.text.trimmingCharacters(in: .whitespaces)
        prompt = nil
        switch entered.kind {
        case .search:
            search = text
            if !text.isEmpty { findMatch(forward: true, skipCurrent: false) }
        case .filter:
            filter = text
            rebuildRows()
            let shown = model.tensors.indices.filter(passesFilter).count
            message = Message(text.isEmpty ? "filter cleared" : "filter \(text.escapedForTerminal): \(shown) of \(model.tensors.count) layers")
        case .spec:
            do {
                applySpec(try QuantSpec(parsing: text))
            } catch {
                prompt = entered
                message = Message("\(error)", isError: true)
            }
        case .defaultSpec:
            do {
                let spec = try QuantSpec(parsing: text)
                var newPlan = plan
                newPlan.defaultSpec = spec
                if let problem = firstProblem(newPlan) {
                    prompt = entered
                    message = Message(problem, isError: true)
                    return
                }
                commit(newPlan, label: "default: \(plan.defaultSpec) → \(spec)")
            } catch {
                prompt = entered
                message = Message("\(error)", isError: true)
            }
        case .rule:
            addRule(text, entered: entered)
        }
    }

    /// The first tensor whose spec in `plan` cannot apply, as a message.
    func firstProblem(_ candidate: Plan) -> String? {
        for tensor in model.tensors {
            let spec = candidate.spec(for: tensor)
            if let problem = PlanValidation.applicability(of: spec, to: tensor) { return "\(tensor.name.escapedForTerminal): \(spec) \(problem)" }
        }
        return nil
    }

    /// Adds a rule `PATTERN [SPEC]` (the selected layer's spec when none is given) and drops the overrides
    /// of matching layers, so the rule decides them.
    mutating func addRule(_ text: String, entered: Prompt) {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !words.isEmpty else { return }
        var patternText = text
        var spec: QuantSpec
        if words.count >= 2, let parsed = try? QuantSpec(parsing: words.last!) {
            spec = parsed
            patternText = words.dropLast().joined(separator: " ")
        } else if words.count >= 2 {
            prompt = entered
            message = Message((try? QuantSpec(parsing: words.last!)).map { "\($0)" } ?? "\"\(words.last!.escapedForTerminal)\" is not a spec; write PATTERN SPEC, e.g. blk.*.ffn_* q4_k", isError: true)
            return
        } else if let t = selectedTensor {
            spec = resolved[t].spec
        } else {
            return
        }
        let pattern: TensorPattern
        do { pattern = try TensorPattern(patternText) } catch {
            prompt = entered
            message = Message("\(error)", isError: true)
            return
        }
        let matching = model.tensors.filter { pattern.matches($0.name) }
        guard !matching.isEmpty else {
            prompt = entered
            message = Message("\(patternText.escapedForTerminal) matches no layer (globs match the whole name; * matches dots too)", isError: true)
            return
        }
        if let bad = matching.first(where: { PlanValidation.applicability(of: spec, to: $0) != nil }) {
            prompt = entered
            message = Message("\(bad.name.escapedForTerminal): \(spec) \(PlanValidation.applicability(of: spec, to: bad)!)", isError: true)
            return
        }
        var newPlan = plan
        newPlan.rules.append(Plan.Rule(pattern: pattern, spec: spec))
        var dropped = 0
        for tensor in matching where newPlan.overrides.removeValue(forKey: tensor.name) != nil { dropped += 1 }
        commit(newPlan, label: "rule \(newPlan.rules.count): \(patternText.escapedForTerminal) → \(spec) (\(matching.count) layer\(matching.count == 1 ? "" : "s")\(dropped > 0 ? ", \(dropped) overrides dropped" : ""))")
    }

    // MARK: - Search

    mutating func findMatch(forward: Bool, skipCurrent: Bool) {
        guard !search.isEmpty else { message = Message("no search yet; / searches"); return }
        let order = computeRows(collapsed: []).compactMap { row -> Int? in if case let .tensor(t) = row { t } else { nil } }
        guard !order.isEmpty else { return }
        let needle = search.lowercased()
        let start = selectedTensor.flatMap { order.firstIndex(of: $0) } ?? 0
        for step in 0..<order.count {
            let offset = skipCurrent ? step + 1 : step
            let index = ((start + (forward ? offset : -offset)) % order.count + order.count) % order.count
            let t = order[index]
            guard model.tensors[t].name.lowercased().contains(needle) else { continue }
            collapsed.remove(groups[groupOfTensor[t]].name)
            rebuildRows()
            if let row = rows.firstIndex(of: .tensor(t)) {
                selection = row
                scrollToSelection()
                candidateCursor = plannedCandidateIndex
            }
            return
        }
        message = Message("no layer matches \"\(search.escapedForTerminal)\"", isError: true)
    }

    // MARK: - Saving

    mutating func save() -> [Effect] {
        guard !saving else { return [] }
        if plan.model == nil, let identity = model.identity { plan.model = identity }
        let t = totals
        let fileTotals = t.pending == 0 ? PlanFile.Totals(bytes: t.bytes, bitsPerWeight: t.bitsPerWeight, weightedMSE: t.weightedMSE, lowestSQNR: t.worstSQNR) : nil
        saving = true
        return [.save(path: planPath, plan: plan, totals: fileTotals)]
    }

    // MARK: - Background work

    /// Starts the most urgent missing job when nothing runs, or cancels a background job when something
    /// the user is looking at waits behind it.
    mutating func schedule() -> [Effect] {
        guard let next = nextJob() else { return [] }
        if let running {
            if !cancelRequested, next.priority <= 1, running.priority >= 2, case .evaluate = running.job {
                cancelRequested = true
                return [.cancel(jobID: running.id)]
            }
            return []
        }
        let ticket = JobTicket(id: nextJobID, job: next.job, priority: next.priority)
        nextJobID += 1
        running = ticket
        return [.run(ticket)]
    }

    /// The most urgent job: the selected layer's statistics and planned spec, the candidates when they are
    /// shown, every layer's statistics, every layer's planned spec, then the candidates anyway.
    public func nextJob() -> (job: Job, priority: Int)? {
        func wantsStats(_ t: Int) -> Bool {
            model.tensors[t].dtype.isDecodable && stats[t] == nil && statsFailures[t] == nil && running?.job != .stats(tensor: t)
        }
        func wantsEvaluation(_ t: Int, _ spec: QuantSpec, histograms: Bool) -> Bool {
            if case .keep = spec.family { return false }
            let key = EvalKey(tensor: t, spec: spec)
            guard failures[key] == nil, model.tensors[t].dtype.isDecodable, PlanValidation.applicability(of: spec, to: model.tensors[t]) == nil else { return false }
            if let running, case let .evaluate(runningKey, _) = running.job, runningKey == key { return false }
            guard let result = results[key] else { return true }
            return histograms && result.dequantizedHistogram == nil
        }
        let selected = selectedTensor
        var candidates: [QuantSpec] = []
        if let t = selected {
            if wantsStats(t) { return (.stats(tensor: t), 0) }
            let spec = resolved[t].spec
            if wantsEvaluation(t, spec, histograms: true) { return (.evaluate(EvalKey(tensor: t, spec: spec), histograms: true), 1) }
            candidates = SpecStepper.candidates(for: model.tensors[t])
            if focus == .detail || menuCursor != nil, let spec = candidates.first(where: { wantsEvaluation(t, $0, histograms: false) }) {
                return (.evaluate(EvalKey(tensor: t, spec: spec), histograms: false), 2)
            }
        }
        if let t = model.tensors.indices.first(where: wantsStats) { return (.stats(tensor: t), 3) }
        for t in model.tensors.indices where wantsEvaluation(t, resolved[t].spec, histograms: false) {
            return (.evaluate(EvalKey(tensor: t, spec: resolved[t].spec), histograms: false), 4)
        }
        if let t = selected, let spec = candidates.first(where: { wantsEvaluation(t, $0, histograms: false) }) {
            return (.evaluate(EvalKey(tensor: t, spec: spec), histograms: false), 5)
        }
        return nil
    }
}
