import Foundation

/// Progress on stderr: a bar with the configuration and time left on a terminal; one plain
/// line per configuration otherwise (CI logs).
final class Progress {
    let total: Int
    var done = 0
    let start = Date()
    let interactive: Bool

    init(total: Int, interactive: Bool = standardErrorIsTerminal) {
        self.total = total
        self.interactive = interactive
    }

    func starting(_ label: String) {
        guard interactive else { return }
        let fraction = total > 0 ? Double(done) / Double(total) : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var eta = ""
        if done > 0 {
            let elapsed = Date().timeIntervalSince(start)
            eta = " ~\(Int((elapsed / Double(done)) * Double(total - done)))s left"
        }
        let line = "\r[\(bar)] \(done)/\(total)\(eta) \(label)"
        FileHandle.standardError.write(
            Data((line.count > 160 ? String(line.prefix(160)) : line).utf8) + Data("\u{1B}[K".utf8))
    }

    func finished(_ label: String, summary: String) {
        done += 1
        if interactive {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            if done == total {
                FileHandle.standardError.write(
                    Data("[\(done)/\(total)] done in \(Int(Date().timeIntervalSince(start)))s\n".utf8))
            }
        } else {
            printError("[\(done)/\(total)] \(label): \(summary)")
        }
    }
}
