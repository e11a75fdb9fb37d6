import Foundation
import QuantCore

/// The explorer's input loop: draws the state, reads keys with a short timeout, feeds keys and background
/// results through `update`, and carries out the effects.
public enum Explorer {
    /// Runs the explorer on the terminal until the user quits.
    /// - Parameters:
    ///   - message: shown in the status line at start (e.g. plan warnings).
    public static func run(model: Model, plan: Plan, savedPlan: Plan? = nil, planPath: String, message: Message? = nil) throws {
        let terminal = Terminal()
        var state = AppState(model: ModelSummary(model), plan: plan, planPath: planPath, ascii: !terminal.utf8)
        if let savedPlan { state.savedPlan = savedPlan }
        state.message = message
        let worker = Worker(model: model)
        try terminal.start()
        defer {
            worker.cancelAll()
            terminal.stop()
        }
        var pending: [Action] = [.resize(width: terminal.width, height: terminal.height)]
        var quit = false
        var needsDraw = true
        var lastTick = Date()
        while !quit {
            while !pending.isEmpty, !quit {
                let action = pending.removeFirst()
                for effect in update(&state, action) {
                    switch effect {
                    case let .run(ticket): worker.run(ticket)
                    case let .cancel(id): worker.cancel(id)
                    case let .save(path, plan, totals):
                        do {
                            try PlanFile.write(plan, totals: totals, to: path)
                            pending.append(.saved(path: path))
                        } catch {
                            pending.append(.saveFailed(message: "\(error)"))
                        }
                    case .quit: quit = true
                    }
                }
                needsDraw = true
            }
            if quit { break }
            if needsDraw {
                terminal.draw(Screen.render(state))
                needsDraw = false
            }
            // Poll quickly while work runs so results show at once; slower when idle.
            if let action = terminal.read(timeout: state.running != nil ? 10 : 100) {
                pending.append(action)
                // Take keys that are already waiting, so a held key or a paste does not lag behind.
                while pending.count < 64, let more = terminal.read(timeout: 0) { pending.append(more) }
            }
            pending += worker.drain()
            if state.running != nil, Date().timeIntervalSince(lastTick) >= 0.1 {
                pending.append(.tick)
                lastTick = Date()
            }
        }
    }

    /// Carries out `effects` and every job `update` asks for after them on the calling thread, until no job
    /// is left: a state with every statistic and evaluation in place, for snapshot tests and benchmarks.
    /// - Parameters:
    ///   - candidates: also measure the selected layer's candidate specs.
    ///   - threads: threads per job; 1 (the default) makes the figures independent of the machine.
    public static func settle(_ state: inout AppState, model: Model, effects: [Effect] = [], candidates: Bool = true, threads: Int = 1) {
        let worker = Worker(model: model, threads: threads)
        var queue = effects + update(&state, .tick)
        state.tick = 0
        while let effect = queue.first {
            queue.removeFirst()
            guard case let .run(ticket) = effect else { continue }
            if !candidates, ticket.priority == 5 {
                state.running = nil
                break
            }
            queue += update(&state, worker.perform(ticket))
        }
    }
}
