import ClickTrackerHummingbird
import Testing

@Suite("Form bodies")
struct FormFieldsTests {
    @Test("Fields are decoded (+ as space, %XX as bytes of UTF-8); the first value of a name wins")
    func decoding() {
        let form = FormFields("event=view&token=v2.ab-_c&title=Budget+%E2%80%94+2027&plus=%2B&event=end&empty=&bare&&path=%2Fpapers%2Fa.html")
        #expect(form["event"] == "view")
        #expect(form["token"] == "v2.ab-_c")
        #expect(form["title"] == "Budget — 2027")
        #expect(form["plus"] == "+")
        #expect(form["empty"] == "")
        #expect(form["bare"] == "")
        #expect(form["path"] == "/papers/a.html")
        #expect(form["missing"] == nil)
    }

    @Test("A malformed escape or bytes that are not UTF-8 leave the field out, and a later good value is taken")
    func malformed() {
        let form = FormFields("a=%ZZ&b=%E2%80&c=%4&d=ok%&a=second&%FF=x&q=1")
        #expect(form["a"] == "second")
        #expect(form["b"] == nil)
        #expect(form["c"] == nil)
        #expect(form["d"] == nil)
        #expect(form["q"] == "1")
        #expect(FormFields("")["a"] == nil)
    }
}
