import Foundation
import Testing
@testable import QuantCore
@testable import QuantTUI

/// The update logic: state in, action, state and effects out.
@Suite(.timeLimit(.minutes(1))) struct UpdateTests {
    @Test func groupsLayersByBlockAndKeepsSingletonsFlat() {
        let state = Fixtures.state()
        #expect(state.grouped)
        #expect(state.groups.map(\.name) == ["token_embd", "blk.0", "blk.1", "output_norm"])
        #expect(state.rows == [.tensor(0), .group(1), .tensor(1), .tensor(2), .tensor(3), .group(2), .tensor(4), .tensor(5), .tensor(6), .tensor(7)])
        #expect(state.resolved[2].spec == .keep)
        #expect(state.resolved[1].spec == Fixtures.int8Channel)
        #expect(!state.isDirty)
    }

    @Test func superBlockTypesThatDoNotFitShowLlamaQuantizesFallback() {
        let model = ModelSummary(path: "/models/narrow.gguf", formatName: "GGUF v3", tensors: [
            Fixtures.tensor("blk.0.attn_q.weight", [384, 384], dtype: .f16),
            Fixtures.tensor("blk.0.ffn_down.weight", [384, 1536], dtype: .f16),
        ])
        let state = Fixtures.state(model, plan: Plan(defaultSpec: Fixtures.spec("q4_k")))
        // Rows of 384 hold no Q4_K super-block: the layer is sized (22 bytes per 32 weights) and measured as Q5_0.
        #expect(state.resolved[0].spec == Fixtures.spec("q5_0") && state.resolved[0].fallbackFor == Fixtures.spec("q4_k"))
        #expect(state.resolved[0].problem == nil && state.resolved[0].bytes == 384 * 384 / 32 * 22)
        #expect(state.resolved[1].spec == Fixtures.spec("q4_k") && state.resolved[1].fallbackFor == nil)
        let lines = DetailView.infoLines(state, tensor: 0, glyphs: Glyphs(ascii: false)).map(\.0)
        #expect(lines.contains("fallback for q4_k (rows of 384), as llama-quantize"))
        // The layer list marks the replaced spec.
        let screen = Screen.render(state).text
        #expect(screen.contains("q5_0*") && !screen.contains("q4_k*"), "\(screen)")
    }

    @Test func movesWithArrowsVimKeysAndPages() {
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .char("j"))
        #expect(state.selection == 2)
        Fixtures.press(&state, .char("k"))
        #expect(state.selection == 1)
        Fixtures.press(&state, .char("G"))
        #expect(state.selection == state.rows.count - 1)
        Fixtures.press(&state, .down)
        #expect(state.selection == state.rows.count - 1)
        Fixtures.press(&state, .char("g"), .pageDown)
        #expect(state.selection == min(state.rows.count - 1, state.layout.listRows))
        Fixtures.press(&state, .pageUp, .up)
        #expect(state.selection == 0)
    }

    @Test func collapsingAGroupHidesItsLayers() {
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .enter)
        #expect(state.collapsed == ["blk.0"])
        #expect(!state.rows.contains(.tensor(1)))
        Fixtures.press(&state, .right)
        #expect(state.rows.contains(.tensor(1)))
        Fixtures.press(&state, .down, .left)
        #expect(state.rows[state.selection] == .group(1))
        Fixtures.press(&state, .char("t"))
        #expect(!state.grouped)
        #expect(state.rows == (0..<8).map(Row.tensor))
    }

    @Test func raisingBitsSetsAnOverrideAndTheSizeAtOnce() {
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .down) // blk.0.attn_q.weight
        let before = state.totals.bytes
        Fixtures.press(&state, .char("]"))
        let tensor = state.model.tensors[1]
        #expect(state.plan.overrides == ["blk.0.attn_q.weight": .init(.float(.f16))])
        #expect(state.totals.bytes == before - SpecSize.storedBytes(of: tensor, spec: Fixtures.int8Channel)! + tensor.elementCount * 2)
        #expect(state.isDirty)
        #expect(state.message?.text == "blk.0.attn_q.weight: int8-channel → f16")
        // The selected layer's statistics come first, before its new spec is measured.
        #expect(state.running?.job == .stats(tensor: 1))
        Fixtures.press(&state, .char("["), .char("["), .char("-"))
        #expect(state.plan.overrides["blk.0.attn_q.weight"] == Fixtures.spec("int6-channel"))
        // Back to what the default gives: the override goes away.
        Fixtures.press(&state, .char("+"), .char("+"))
        #expect(state.plan.overrides.isEmpty)
    }

    @Test func cyclingFamilyGranularityGroupSizeAndKeep() {
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .down)
        Fixtures.press(&state, .char("c"))
        #expect(state.resolved[1].spec == Fixtures.spec("q8_0"))
        Fixtures.press(&state, .char("c"))
        // Q8_0's blocks of 32 carry over as NF4's group size.
        #expect(state.resolved[1].spec == Fixtures.spec("nf4-g32"))
        Fixtures.press(&state, .char("b"))
        #expect(state.resolved[1].spec == Fixtures.spec("nf4"))
        Fixtures.press(&state, .char("e"), .ctrl("u"))
        Fixtures.type(&state, "int4")
        Fixtures.press(&state, .enter)
        #expect(state.resolved[1].spec == Fixtures.spec("int4"))
        Fixtures.press(&state, .char("v"))
        #expect(state.resolved[1].spec == Fixtures.spec("int4-channel"))
        Fixtures.press(&state, .char("v"))
        #expect(state.resolved[1].spec == Fixtures.spec("int4-g128"))
        Fixtures.press(&state, .char("a"))
        #expect(state.resolved[1].spec == Fixtures.spec("int4-asym-g128"))
        Fixtures.press(&state, .char("x"))
        #expect(state.resolved[1].spec == .keep)
    }

    @Test func aSpecThatCannotApplyIsRefusedWithTheReason() {
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .down, .char("e"), .ctrl("u"))
        Fixtures.type(&state, "int4-g100")
        Fixtures.press(&state, .enter)
        #expect(state.plan.overrides.isEmpty)
        #expect(state.message?.isError == true)
        #expect(state.message?.text.contains("group size 100 does not divide the row length 256") == true)
        // A typo keeps the prompt open with the parser's message.
        Fixtures.press(&state, .char("e"), .ctrl("u"))
        Fixtures.type(&state, "int9")
        Fixtures.press(&state, .enter)
        #expect(state.prompt?.kind == .spec)
        #expect(state.message?.text.contains("bit-width must be 2 to 8") == true)
        Fixtures.press(&state, .escape)
        #expect(state.prompt == nil)
    }

    @Test func marksMakeAChangeApplyToEveryMarkedLayer() {
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .down, .char(" "))
        #expect(state.marks == [1])
        #expect(state.selection == 3)
        Fixtures.press(&state, .down, .down, .down, .down, .down, .char(" "))
        #expect(state.marks == [1, 6])
        Fixtures.press(&state, .char("["))
        #expect(state.plan.overrides == ["blk.0.attn_q.weight": Fixtures.spec("int7-channel"), "blk.1.ffn_up.weight": Fixtures.spec("int7-channel")])
        #expect(state.message?.text == "2 layers → int7-channel")
        // A group row edits the group's matrices, not its biases.
        Fixtures.press(&state, .char("*"))
        #expect(state.marks.isEmpty)
        Fixtures.press(&state, .char("g"), .down, .char("]"))
        #expect(state.resolved[1].spec == Fixtures.int8Channel)
        #expect(state.resolved[3].spec == .init(.float(.f16)))
        #expect(state.resolved[2].spec == .keep)
    }

    @Test func undoAndRedoRestorePlans() {
        var state = Fixtures.state()
        let original = state.plan
        Fixtures.press(&state, .down, .down, .char("]"))
        let raised = state.plan
        Fixtures.press(&state, .down, .char("["))
        Fixtures.press(&state, .char("u"))
        #expect(state.plan == raised)
        #expect(state.message?.text.hasPrefix("undone: blk.0.attn_q.bias") == true || state.message?.text.hasPrefix("undone: blk.0.ffn_up.weight") == true)
        Fixtures.press(&state, .char("u"))
        #expect(state.plan == original)
        #expect(!state.isDirty)
        Fixtures.press(&state, .char("u"))
        #expect(state.message?.text == "nothing to undo")
        Fixtures.press(&state, .ctrl("r"))
        #expect(state.plan == raised)
        // A new change clears the redo stack.
        Fixtures.press(&state, .up, .char("x"))
        #expect(state.redoStack.isEmpty)
    }

    @Test func aPatternRuleAppliesToMatchingLayersAndDropsTheirOverrides() {
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .down, .char("]"))
        #expect(state.plan.overrides.count == 1)
        Fixtures.press(&state, .char("p"))
        Fixtures.type(&state, "blk.*.weight q4_k")
        Fixtures.press(&state, .enter)
        #expect(state.prompt == nil)
        #expect(state.plan.rules == [Plan.Rule(pattern: try! TensorPattern("blk.*.weight"), spec: Fixtures.spec("q4_k"))])
        #expect(state.plan.overrides.isEmpty)
        #expect([1, 3, 4, 6].allSatisfy { state.resolved[$0].spec == Fixtures.spec("q4_k") })
        #expect(state.resolved[0].spec == Fixtures.int8Channel)
        #expect(state.message?.text == "rule 1: blk.*.weight → q4_k (4 layers, 1 overrides dropped)")
        // A rule that would put a block format on 1-D tensors is refused, naming one.
        Fixtures.press(&state, .char("p"))
        Fixtures.type(&state, "blk.0.* int4-g512")
        Fixtures.press(&state, .enter)
        #expect(state.prompt?.kind == .rule)
        #expect(state.message?.text.hasPrefix("blk.0.attn_q.weight: int4-g512 cannot apply") == true)
        Fixtures.press(&state, .ctrl("u"))
        Fixtures.type(&state, "nothing.* q8_0")
        Fixtures.press(&state, .enter)
        #expect(state.message?.text.contains("matches no layer") == true)
        Fixtures.press(&state, .escape)
        Fixtures.press(&state, .char("u"))
        #expect(state.plan.rules.isEmpty)
    }

    @Test func searchJumpsAndOpensCollapsedGroups() {
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .enter, .char("/"))
        Fixtures.type(&state, "ffn")
        #expect(state.selectedTensor == 3)
        #expect(!state.collapsed.contains("blk.0"))
        Fixtures.press(&state, .enter, .char("n"))
        #expect(state.selectedTensor == 6)
        Fixtures.press(&state, .char("n"))
        #expect(state.selectedTensor == 3)
        Fixtures.press(&state, .char("N"))
        #expect(state.selectedTensor == 6)
        Fixtures.press(&state, .char("/"))
        Fixtures.type(&state, "zzz")
        #expect(state.message?.text == "no layer matches \"zzz\"")
    }

    @Test func filterAndSort() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("f"))
        Fixtures.type(&state, "*attn*")
        Fixtures.press(&state, .enter)
        #expect(state.rows == [.group(1), .tensor(1), .tensor(2), .group(2), .tensor(4), .tensor(5)])
        Fixtures.press(&state, .char("f"), .ctrl("u"), .enter, .char("t"), .char("o"), .char("o"))
        #expect(state.sort == .size)
        #expect(state.rows.first == .tensor(3))
        #expect(state.rows.last == .tensor(7))
    }

    @Test func quitAsksOnlyWhenThereAreUnsavedChanges() {
        var clean = Fixtures.state()
        #expect(Fixtures.press(&clean, .char("q")) == [.quit])
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .down, .char("]"))
        #expect(Fixtures.press(&state, .char("q")).isEmpty)
        #expect(state.confirmQuit)
        #expect(Fixtures.press(&state, .char("n")).isEmpty)
        #expect(!state.confirmQuit)
        Fixtures.press(&state, .char("q"))
        #expect(Fixtures.press(&state, .char("y")) == [.quit])
    }

    @Test func savingWritesThePlanWithTheModelIdentityAndClearsTheMarker() {
        let identity = ModelIdentity(fileName: "tiny.gguf", tensorCount: 8, parameterCount: 1, fingerprint: "fnv1a64:0")
        var model = Fixtures.blocks
        model.identity = identity
        var state = Fixtures.state(model)
        Fixtures.press(&state, .down, .down, .char("]"))
        let effects = Fixtures.press(&state, .char("s"))
        var expected = state.plan
        expected.model = identity
        // Totals are written only once every layer is measured.
        #expect(effects.contains(.save(path: "tiny.plan.json", plan: expected, totals: nil)))
        #expect(state.isDirty)
        _ = update(&state, .saved(path: "tiny.plan.json"))
        #expect(!state.isDirty)
        #expect(state.message?.text == "saved tiny.plan.json")
        // Save and quit from the question.
        Fixtures.press(&state, .char("]"), .char("q"))
        let saveEffects = Fixtures.press(&state, .char("s"))
        #expect(saveEffects.contains { if case .save = $0 { true } else { false } })
        #expect(update(&state, .saved(path: "tiny.plan.json")) == [.quit])
        var failing = Fixtures.state()
        _ = update(&failing, .saveFailed(message: "disk full"))
        #expect(failing.message == Message("not saved: disk full", isError: true))
    }

    @Test func resultsArriveAsActionsAndOldFiguresAreMarkedStale() {
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .down)
        let tensor = state.model.tensors[1]
        let key = EvalKey(tensor: 1, spec: Fixtures.int8Channel)
        #expect(state.plannedResult(1) == nil)
        _ = update(&state, .evaluationFinished(key, Fixtures.result(Fixtures.int8Channel, tensor: tensor, sqnr: 40)))
        #expect(state.plannedResult(1)?.stale == false)
        Fixtures.press(&state, .char("["))
        let stale = state.plannedResult(1)
        #expect(stale?.stale == true)
        #expect(stale?.result.spec == Fixtures.int8Channel)
        let seven = Fixtures.spec("int7-channel")
        _ = update(&state, .evaluationFinished(EvalKey(tensor: 1, spec: seven), Fixtures.result(seven, tensor: tensor, sqnr: 34)))
        #expect(state.plannedResult(1)?.stale == false)
        #expect(abs(state.plannedResult(1)!.result.error.sqnr - 34) < 1e-9)
        // Undo finds the earlier result in the cache: no new measurement, nothing stale.
        Fixtures.press(&state, .char("u"))
        #expect(state.plannedResult(1)?.stale == false)
        #expect(abs(state.totals.worstSQNR - 40) < 1e-9)
    }

    @Test func schedulingPutsTheSelectedLayerFirstAndPreemptsBackgroundWork() throws {
        var state = Fixtures.state()
        var effects = update(&state, .resize(width: 120, height: 40))
        #expect(effects == [.run(JobTicket(id: 1, job: .stats(tensor: 0), priority: 0))])
        effects = update(&state, .statsFinished(tensor: 0, stats: Fixtures.stats()))
        #expect(effects == [.run(JobTicket(id: 2, job: .evaluate(EvalKey(tensor: 0, spec: Fixtures.int8Channel), histograms: true), priority: 1))])
        // While it runs, moving does not start a second job.
        #expect(Fixtures.press(&state, .down, .down).isEmpty)
        effects = update(&state, .evaluationFailed(EvalKey(tensor: 0, spec: Fixtures.int8Channel), message: "boom"))
        #expect(effects == [.run(JobTicket(id: 3, job: .stats(tensor: 1), priority: 0))])
        // Finish jobs until a background evaluation of another layer runs.
        while let running = state.running, running.priority < 4 {
            switch running.job {
            case let .stats(t): _ = update(&state, .statsFinished(tensor: t, stats: Fixtures.stats()))
            case let .evaluate(key, _):
                _ = update(&state, .evaluationFinished(key, Fixtures.result(key.spec, tensor: state.model.tensors[key.tensor], sqnr: 40)))
            }
        }
        let running = try #require(state.running)
        #expect(running.priority == 4)
        #expect(running.job.tensor != state.selectedTensor)
        // Changing the selected layer's spec cancels it, so the new figure is not kept waiting.
        effects = Fixtures.press(&state, .char("]"))
        #expect(effects == [.cancel(jobID: running.id)])
        effects = update(&state, .jobCancelled(id: running.id))
        let selected = try #require(state.selectedTensor)
        #expect(effects == [.run(JobTicket(id: running.id + 1, job: .evaluate(EvalKey(tensor: selected, spec: .init(.float(.f16))), histograms: true), priority: 1))])
    }

    @Test func keysThatDoNothingSaySo() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("Z"))
        #expect(state.message == Message("Z does nothing here; ? shows the keys", isError: true))
        Fixtures.press(&state, .char("?"))
        #expect(state.showHelp)
        Fixtures.press(&state, .char("j"))
        #expect(!state.showHelp)
        #expect(state.selection == 0)
    }

    @Test func specMenuAppliesTheChosenCandidate() {
        var state = Fixtures.state()
        Fixtures.press(&state, .down, .down, .char("m"))
        let list = SpecStepper.candidates(for: state.model.tensors[1])
        #expect(state.menuCursor == list.firstIndex(of: Fixtures.int8Channel))
        Fixtures.press(&state, .down, .enter)
        #expect(state.menuCursor == nil)
        #expect(state.resolved[1].spec == list[list.firstIndex(of: Fixtures.int8Channel)! + 1])
        // The detail pane's table does the same with Tab, arrows and Enter.
        Fixtures.press(&state, .tab, .tab)
        #expect(state.focus == .detail)
        Fixtures.press(&state, .up, .up, .enter)
        #expect(state.resolved[1].spec == list[list.firstIndex(of: Fixtures.int8Channel)! - 1])
    }

    @Test func resizeKeepsTheCursorVisible() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("G"))
        _ = update(&state, .resize(width: 80, height: 24))
        #expect(state.selection >= state.listTop && state.selection < state.listTop + state.layout.listRows)
        _ = update(&state, .resize(width: 60, height: 20))
        #expect(state.layout.tooSmall)
        #expect(Screen.render(state).text.contains("terminal too small: 60×20"))
    }

    @Test func defaultSpecPrompt() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("D"), .ctrl("u"))
        Fixtures.type(&state, "q4_k")
        Fixtures.press(&state, .enter)
        #expect(state.plan.defaultSpec == Fixtures.spec("q4_k"))
        #expect(state.resolved[0].spec == Fixtures.spec("q4_k"))
        #expect(state.resolved[2].spec == .keep)
    }
}
