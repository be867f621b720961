import Foundation

/// An OpenAPI 3.1 document, to check real responses against the schemas it promises. Checks
/// the JSON Schema keywords the ClickTracker document uses: `$ref`, `type` (one or a list),
/// `properties`, `required`, `additionalProperties: false`, `items`, `enum`, `const`,
/// `minimum`, `maximum`, `minLength`, `maxLength` and `format: date-time`.
public struct OpenAPIDocument: Sendable {
    public let root: JSONValue

    public init(_ text: String) throws {
        root = try JSONValue.parse(text)
    }

    /// The JSON schema of the response to `method` on `path` (as written in the document, e.g.
    /// `/requests/{id}`) with `status`; `nil` when the document promises no JSON body.
    public func responseSchema(path: String, method: String, status: Int) throws -> JSONValue? {
        guard let operation = root["paths"]?[path]?[method.lowercased()] else {
            throw Mismatch(description: "the document has no \(method) \(path)")
        }
        guard var response = operation["responses"]?[String(status)] else {
            throw Mismatch(description: "the document promises no \(status) for \(method) \(path)")
        }
        response = try resolve(response)
        guard let schema = response["content"]?["application/json"]?["schema"] else { return nil }
        return schema
    }

    /// Why a value does not match its schema.
    public struct Mismatch: Error, CustomStringConvertible {
        public let description: String
    }

    /// Every way `value` differs from `schema`, as `location: problem` lines (empty when it matches).
    public func problems(_ value: JSONValue, _ schema: JSONValue, at location: String = "$") throws -> [String] {
        let schema = try resolve(schema)
        var problems: [String] = []
        if let types = schema["type"] {
            let allowed = types.array?.compactMap(\.string) ?? [types.string ?? ""]
            guard allowed.contains(where: { Self.matches(value, type: $0) }) else {
                return ["\(location): \(value) is not of type \(allowed.joined(separator: " or "))"]
            }
        }
        if let options = schema["enum"]?.array, !options.contains(value) { problems.append("\(location): \(value) is not one of \(options)") }
        if let constant = schema["const"], constant != value { problems.append("\(location): \(value) is not \(constant)") }
        switch value {
        case .integer(let number):
            if let minimum = schema["minimum"]?.integer, number < minimum { problems.append("\(location): \(number) < \(minimum)") }
            if let maximum = schema["maximum"]?.integer, number > maximum { problems.append("\(location): \(number) > \(maximum)") }
        case .string(let text):
            if let minimum = schema["minLength"]?.integer, text.count < minimum { problems.append("\(location): shorter than \(minimum)") }
            if let maximum = schema["maxLength"]?.integer, text.count > maximum { problems.append("\(location): longer than \(maximum)") }
            if schema["format"]?.string == "date-time", (try? Date.ISO8601FormatStyle().parse(text)) == nil {
                problems.append("\(location): \(text) is not an ISO 8601 date-time")
            }
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { problems += try self.problems(item, itemSchema, at: "\(location)[\(index)]") }
            }
        case .object(let members):
            let properties = schema["properties"]
            for name in schema["required"]?.array?.compactMap(\.string) ?? [] where members[name] == nil {
                problems.append("\(location): \(name) is missing")
            }
            for (name, member) in members {
                if let propertySchema = properties?[name] {
                    problems += try self.problems(member, propertySchema, at: "\(location).\(name)")
                } else if schema["additionalProperties"] == .bool(false) {
                    problems.append("\(location): \(name) is not in the schema")
                }
            }
        default: break
        }
        return problems
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.integer, "integer"), (.integer, "number"), (.number, "number"), (.string, "string"),
            (.array, "array"), (.object, "object"):
            true
        default: false
        }
    }

    /// Follows `$ref` (`#/components/…`) until a schema or response without one.
    private func resolve(_ value: JSONValue) throws -> JSONValue {
        var value = value
        while let reference = value["$ref"]?.string {
            guard reference.hasPrefix("#/") else { throw Mismatch(description: "unsupported reference \(reference)") }
            var target: JSONValue? = root
            for part in reference.dropFirst(2).split(separator: "/") { target = target?[String(part)] }
            guard let target else { throw Mismatch(description: "unresolved reference \(reference)") }
            value = target
        }
        return value
    }
}
