/// Column-aligned text tables for the CLI: left-aligned text, right-aligned numbers.
struct TextTable {
    enum Alignment { case left, right }
    var headers: [String]
    var alignments: [Alignment]
    var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                if i == cells.count - 1 && alignments[i] == .left { return cell }
                return alignments[i] == .left ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        var out = [line(headers)]
        out.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
        out += rows.map(line)
        return out.joined(separator: "\n")
    }
}
