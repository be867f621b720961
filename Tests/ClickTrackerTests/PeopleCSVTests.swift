import Testing

@testable import ClickTracker

@Suite("People CSV")
struct PeopleCSVTests {
    @Test("Reads quoted fields, any column order, a byte-order mark, CRLF and blank lines; the last row of a person wins")
    func parse() throws {
        let text = "\u{FEFF}Email,User,Name\r\n\"a@x.org\",alice,\"Archer, \"\"Al\"\"\"\r\n\r\n,bob,\"Bob\nBaker\"\r\nnew@x.org,alice,\n"
        let people = try PeopleCSV.parse(text)
        #expect(
            people == [
                Person(member: "alice", displayName: nil, email: "new@x.org"),
                Person(member: "bob", displayName: "Bob\nBaker", email: nil),
            ]
        )
        #expect(try PeopleCSV.parse("member\ncarol") == [Person(member: "carol")])
    }

    @Test(
        "Bad files are refused with a reason naming the problem",
        arguments: [
            ("", "empty"), ("name,email\nx,y", "no user column"), ("user,name\n,x", "row 2 has no user"),
            ("user\n\"alice", "never closed"), ("user\nal\u{7}ice", "control characters"),
        ]
    )
    func invalid(text: String, reason: String) {
        #expect {
            try PeopleCSV.parse(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test("Writing quotes what needs quoting and defuses spreadsheet formulas; it reads back the same")
    func write() throws {
        let people = [
            Person(member: "=cmd", displayName: "@SUM(A1)", email: "-x"),
            Person(member: "bob", displayName: "Baker, \"Bob\"", email: "b@x.org"),
        ]
        let text = PeopleCSV.write(people)
        #expect(text == "user,name,email\r\n'=cmd,'@SUM(A1),'-x\r\nbob,\"Baker, \"\"Bob\"\"\",b@x.org\r\n")
        #expect(try PeopleCSV.parse(text)[1] == people[1])
    }

    @Test("A value with a CRLF line break is quoted, so it cannot start a row of its own")
    func lineBreaks() throws {
        #expect(PeopleCSV.field("Board\r\n=cmd") == "\"Board\r\n=cmd\"")
        #expect(PeopleCSV.field("a\rb") == "\"a\rb\"" && PeopleCSV.field("a\nb") == "\"a\nb\"")
        let text = PeopleCSV.write([Person(member: "alice", displayName: "Alice\r\n=HYPERLINK(\"x\")")])
        #expect(try PeopleCSV.records(text) == [["user", "name", "email"], ["alice", "Alice\r\n=HYPERLINK(\"x\")", ""]])
    }
}
