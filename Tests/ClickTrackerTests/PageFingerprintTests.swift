import NIOCore
import Testing

@testable import ClickTracker

@Suite("Document versions")
struct PageFingerprintTests {
    static func version(_ chunks: [String]) -> DocumentVersion {
        var fingerprint = PageFingerprint()
        for chunk in chunks { fingerprint.update(ByteBuffer(string: chunk).readableBytesView) }
        return fingerprint.version()
    }

    static let page = """
        <html><head><title>Budget</title><style media="screen">p { color: red } </style>
        <script type="module">let words = "not words";</script></head>
        <body><!-- a comment with words --><p class="x">The  budget
        for 2027.</p><input type="hidden" name="csrf" value="abc"></body></html>
        """

    @Test("Words are counted in the text only: not in tags, comments, scripts or styles")
    func words() {
        #expect(Self.version([Self.page]).words == 5)
        #expect(Self.version(["no markup at all"]).words == 4)
        #expect(Self.version([""]).words == 0)
        #expect(Self.version(["<!-- odd dashes --->one<!---->two"]).words == 2)
        #expect(Self.version(["<a title=\"x > y\" data-n='1>2'>three</a> four"]).words == 2)
        #expect(Self.version(["<script>if (a </scrip> b) {}</script>five"]).words == 1)
        #expect(Self.version(["<a title='\">' href=\"x'>y\">six</a><!-- - -- <!-- -->seven<style>a</styl><</style>eight"]).words == 3)
        #expect(Self.version(["<p>one <b  class=x>two</b >three<br/>four</p >"]).words == 4)
    }

    @Test("However the chunks fall, the version is the same")
    func chunking() {
        let whole = Self.version([Self.page])
        let bytes = Array(Self.page.utf8)
        for cut in stride(from: 1, to: bytes.count, by: 7) {
            let parts = [String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)]
            #expect(Self.version(parts) == whole, "cut at \(cut)")
        }
    }

    @Test("With a <main> element only its text counts: a greeting in the header is not a new version")
    func main() {
        let alice = "<body><header>Signed in as alice</header><main class=\"doc\"><h1>Budget</h1><p>Figures.</p></main><footer>x</footer></body>"
        let bob = alice.replacingOccurrences(of: "alice", with: "bob")
        #expect(Self.version([alice]) == Self.version([bob]))
        #expect(Self.version([alice]).words == 2)
        #expect(Self.version([alice.replacingOccurrences(of: "Figures.", with: "Other figures.")]) != Self.version([alice]))
        #expect(Self.version(["<body><header>Signed in as alice</header><p>Figures.</p></body>"]).words == 5)
    }

    @Test("Markup, white space and per-render attributes are not a new version; a change of text is")
    func changes() {
        let base = Self.version([Self.page])
        let reformatted = Self.page.replacingOccurrences(of: "<p class=\"x\">The  budget\n", with: "<p>\n  The budget ")
            .replacingOccurrences(of: "value=\"abc\"", with: "value=\"xyz\"")
        #expect(Self.version([reformatted]) == base)
        #expect(Self.version([Self.page.replacingOccurrences(of: "2027", with: "2028")]) != base)
        #expect(Self.version([Self.page.replacingOccurrences(of: "not words", with: "other")]) == base)
    }
}

@Suite("Reading verdicts")
struct ReadingVerdictTests {
    static func evidence(
        version: String?,
        words: Int?,
        active: Int,
        end: Bool = false,
        acknowledged: Bool = false
    )
        -> ReaderSummary.VersionEvidence
    {
        .init(
            version: version,
            words: words,
            views: 1,
            firstView: .init(timeIntervalSince1970: 0),
            lastView: .init(timeIntervalSince1970: 10),
            activeMilliseconds: active,
            maximumScroll: end ? 100 : 10,
            reachedEnd: end,
            automated: false,
            acknowledgedAt: acknowledged ? .init(timeIntervalSince1970: 20) : nil
        )
    }

    static func summary(_ versions: [ReaderSummary.VersionEvidence], current: String? = "v1") -> ReaderSummary {
        ReaderSummary(member: "alice", document: DocumentReference(path: "/p/a"), currentVersion: current, versions: versions)
    }

    @Test("Read needs the words' reading time (capped), or the end reached after the minimum time")
    func thresholds() {
        let policy = ReadingPolicy.standard
        // 500 words at 250 words per minute: two minutes.
        #expect(policy.requiredMilliseconds(words: 500) == 120_000)
        #expect(policy.requiredMilliseconds(words: 100_000) == 600_000)
        #expect(policy.requiredMilliseconds(words: nil) == 600_000)
        #expect(Self.summary([Self.evidence(version: "v1", words: 500, active: 119_999)]).verdict(policy).level == .opened)
        #expect(Self.summary([Self.evidence(version: "v1", words: 500, active: 120_000)]).verdict(policy).level == .read)
        #expect(Self.summary([Self.evidence(version: "v1", words: 500, active: 29_999, end: true)]).verdict(policy).level == .opened)
        #expect(Self.summary([Self.evidence(version: "v1", words: 500, active: 30_000, end: true)]).verdict(policy).level == .read)
        let unread = Self.summary([Self.evidence(version: "v1", words: 500, active: 0, acknowledged: true)]).verdict(policy)
        #expect(unread.level == .acknowledged && unread.label == "acknowledged (not read)" && !unread.counts)
        // A page with no words in its HTML needs the cap, not nothing.
        #expect(Self.summary([Self.evidence(version: "v1", words: 0, active: 1_000)]).verdict(policy).level == .opened)
        let asking = ReadingPolicy(requiresAcknowledgement: true)
        #expect(!Self.summary([Self.evidence(version: "v1", words: 500, active: 120_000)]).verdict(asking).counts)
        #expect(Self.summary([Self.evidence(version: "v1", words: 500, active: 120_000, acknowledged: true)]).verdict(asking).counts)
    }

    @Test("The current version's evidence counts; an earlier version's is shown as such, and may stop counting")
    func versions() {
        let earlier = Self.evidence(version: "v0", words: 100, active: 60_000)
        let onlyEarlier = Self.summary([earlier])
        #expect(onlyEarlier.verdict(.standard).label == "read an earlier version")
        #expect(onlyEarlier.verdict(.standard).counts)
        #expect(!onlyEarlier.verdict(ReadingPolicy(requiresRereading: true)).counts)
        let both = Self.summary([earlier, Self.evidence(version: "v1", words: 100, active: 1_000)])
        #expect(both.verdict(.standard).label == "opened")
        #expect(both.views == 2)
        #expect(Self.summary([Self.evidence(version: nil, words: nil, active: 0)], current: nil).verdict(.standard).label == "opened")
    }
}
