import BotCore
import FastCGI
import Operations
import Platform

/// The dashboard's HTML: one layout, tables, escaping. No scripts and no external assets: the Content-Security-Policy
/// allows inline styles and data: images only.
enum Page {
    static let headers = [
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy":
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
    ]

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
        header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:baseline}
        header b{font-size:16px}header a{color:#c9d3ff;text-decoration:none}header a.on{color:#fff;font-weight:600}
        main{padding:8px 20px 24px}h2{font-size:15px;margin:18px 0 6px}
        table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002;margin-bottom:6px}
        th,td{padding:4px 10px;border-bottom:1px solid #e4e6eb;text-align:left;vertical-align:top}
        th{background:#eef0f4;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
        td.actions,td.time{white-space:nowrap}td.error{max-width:320px}td.actions form{display:inline}button{margin-right:4px;cursor:pointer}
        pre{white-space:pre-wrap;max-width:420px;margin:4px 0;font-size:12px}code{font-size:12px}
        .notice{background:#e6f4ea;border:1px solid #9fd3ae;padding:6px 10px;display:inline-block}
        .muted,footer{color:#6b7280}footer{padding:0 20px 16px;font-size:12px}.bar{background:#4f6bed;height:10px}
        svg{background:#fff;box-shadow:0 1px 2px #0002}
        """

    static let sections = [
        ("/ops/", "Overview"), ("/ops/dead", "Dead letters"), ("/ops/recent", "Orders and leads"), ("/ops/funnels", "Funnels"),
    ]

    static func html(_ title: String, _ body: String, generatedAt: Double, status: Int = 200) -> FastCGIResponse {
        let navigation = self.sections.map { path, name in
            "<a href=\"\(path)\"\(name == title ? " class=\"on\"" : "")>\(name)</a>"
        }.joined()
        let page =
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(self.escape(title)) · chatbots ops</title>"
            + "<meta name=\"viewport\" content=\"width=device-width\"><style>\(self.style)</style></head><body>"
            + "<header><b>chatbots ops</b>\(navigation)</header><main><h1 style=\"font-size:18px\">\(self.escape(title))</h1>\(body)</main>"
            + "<footer>generated \(OperationsFormat.instant(generatedAt))</footer></body></html>"
        return FastCGIResponse(status: status, headers: self.headers, body: Array(page.utf8))
    }

    static func error(_ status: Int, _ title: String, _ message: String) -> FastCGIResponse {
        self.html(title, "<p>\(self.escape(message))</p>", generatedAt: Clock.system.now(), status: status)
    }

    /// A table with a heading; cells are escaped except in the columns `raw` (markup made here), numbers right-aligned.
    static func table(
        _ title: String?, _ header: [String], _ rows: [[String]], id: String, empty: String = "Nothing.", raw: Set<Int> = []
    ) -> String {
        var html = title.map { "<h2>\(self.escape($0))</h2>" } ?? ""
        guard !rows.isEmpty else { return html + "<p id=\"\(id)\" class=\"muted\">\(self.escape(empty))</p>" }
        html += "<table id=\"\(id)\"><tr>" + header.map { "<th>\(self.escape($0))</th>" }.joined() + "</tr>"
        for row in rows {
            html +=
                "<tr>"
                + row.enumerated().map { index, cell in
                    if raw.contains(index) { return "<td>\(cell)</td>" }
                    let numeric = !cell.isEmpty && cell.allSatisfy(\.isNumber)
                    return (numeric ? "<td class=\"n\">" : "<td>") + self.escape(cell) + "</td>"
                }.joined() + "</tr>"
        }
        return html + "</table>"
    }

    static func escape(_ text: String) -> String { EmailTemplates.escapeHTML(text) }

    /// A query-string value: everything but unreserved characters percent-encoded.
    static func queryEscape(_ text: String) -> String {
        text.utf8.map { byte in
            let unreserved =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            return unreserved ? String(UnicodeScalar(byte)) : "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }.joined()
    }
}

/// Inline SVG charts (no scripts, no images to fetch).
enum Chart {
    static let colors = ["#4f6bed", "#e0803a", "#2f9e6e", "#b04fcf"]

    /// One line per series over the last `count` minutes, the newest on the right; the y axis from 0 to the busiest minute.
    static func svg(_ series: [OperationsReadModel.Throughput]) -> String {
        let width = 720.0, height = 180.0, left = 40.0, bottom = 22.0, top = 10.0, right = 110.0
        let minutes = series.first?.perMinute.count ?? 60
        let peak = max(1, series.flatMap(\.perMinute).max() ?? 0)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ index: Int) -> Double { left + plotWidth * Double(index) / Double(max(1, minutes - 1)) }
        func y(_ value: Int) -> Double { top + plotHeight * (1 - Double(value) / Double(peak)) }
        var svg =
            "<svg id=\"throughput\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"messages handled per minute\">"
            + "<g stroke=\"#e4e6eb\">"
        for step in 0...4 {
            let level = top + plotHeight * Double(step) / 4
            svg += "<line x1=\"\(left)\" y1=\"\(level)\" x2=\"\(left + plotWidth)\" y2=\"\(level)\"/>"
        }
        svg +=
            "</g><g font-size=\"11\" fill=\"#6b7280\">"
            + "<text x=\"\(left - 6)\" y=\"\(top + 4)\" text-anchor=\"end\">\(peak)</text>"
            + "<text x=\"\(left - 6)\" y=\"\(top + plotHeight + 4)\" text-anchor=\"end\">0</text>"
            + "<text x=\"\(left)\" y=\"\(height - 6)\">−\(minutes) min</text>"
            + stride(from: 1, to: 4, by: 1).map { quarter in
                "<text x=\"\(x(minutes * quarter / 4))\" y=\"\(height - 6)\" text-anchor=\"middle\">−\(minutes - minutes * quarter / 4) min</text>"
            }.joined()
            + "<text x=\"\(left + plotWidth)\" y=\"\(height - 6)\" text-anchor=\"end\">now</text></g>"
        for (index, line) in series.enumerated() {
            let color = self.colors[index % self.colors.count]
            let points = line.perMinute.enumerated().map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ")
            let total = line.perMinute.reduce(0, +)
            svg +=
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\" data-bot=\"\(Page.escape(line.bot))\" data-total=\"\(total)\"/>"
            svg +=
                "<text x=\"\(left + plotWidth + 10)\" y=\"\(top + 14 + Double(index) * 16)\" font-size=\"12\" fill=\"\(color)\">"
                + "\(Page.escape(line.bot)) (\(total))</text>"
        }
        return svg + "</svg>"
    }

    /// A horizontal bar `value / of` of 240 px.
    static func bar(_ value: Int, of total: Int) -> String {
        "<div class=\"bar\" style=\"width:\(Int(240 * Double(value) / Double(max(1, total))))px\"></div>"
    }
}
