/// Where each part of the screen goes for a terminal size; shared by the views and by `update` (scrolling).
public struct Layout: Sendable, Equatable {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public let width: Int
    public let height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var tooSmall: Bool { width < Self.minimumWidth || height < Self.minimumHeight }

    /// Rows 0 and 1: the status bar.
    public let statusRows = 2
    /// The layer list's first row (its column header).
    public var listY: Int { statusRows }
    /// Rows of the layer list including its header.
    public var listHeight: Int {
        let content = height - statusRows - 2
        return max(4, content * 45 / 100)
    }
    /// Rows available for list entries.
    public var listRows: Int { max(1, listHeight - 1) }
    public var panesY: Int { listY + listHeight }
    /// Rows of the histogram and detail panes including their title rows.
    public var panesHeight: Int { max(3, height - 2 - panesY) }
    public var histogramWidth: Int { width / 2 }
    /// The detail pane starts after the histogram and a separator column.
    public var detailX: Int { histogramWidth + 1 }
    public var detailWidth: Int { width - detailX }
    public var messageY: Int { height - 2 }
    public var footerY: Int { height - 1 }
}
