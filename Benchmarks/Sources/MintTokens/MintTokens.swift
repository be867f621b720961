import ArgumentParser
import ClickTracker
import Foundation

/// Mints valid view tokens with a server's key file, one per line, for load tests.
@main
struct MintTokens: ParsableCommand {
    @Option(help: "The server's key file.")
    var keyFile: String

    @Option(help: "Member the tokens are for.")
    var member = "alice"

    @Option(help: "Document path.")
    var path = "/papers/budget-2027.html"

    @Option(help: "How many tokens.")
    var count = 100_000

    @Option(help: "Spread the tokens over this many documents (each token's first view of one is a new reading).")
    var documents = 1

    func run() throws {
        let signer = ViewTokenSigner(secret: try SecretKey.loadOrCreate(path: keyFile))
        var output = ""
        output.reserveCapacity(count * 420)
        for index in 0..<count {
            let path = documents > 1 ? self.path.replacingOccurrences(of: ".html", with: "-\(index % documents).html") : self.path
            let document = DocumentReference(path: path, title: "Budget 2027")
            output += signer.mint(member: member, document: document, url: path)
            output += "\n"
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
