/// Google's service-account emails, as the IAM Credentials API names the account it impersonates:
/// `NAME@PROJECT.iam.gserviceaccount.com`, and Google's own forms (`…@developer.gserviceaccount.com`,
/// `…@appspot.gserviceaccount.com`, `…@gcp-sa-….iam.gserviceaccount.com`).
public enum ServiceAccountEmail {
    /// An example that reads right in messages.
    public static let example = "runner@my-project.iam.gserviceaccount.com"

    /// Why `text` is not a service account's email (a clause such as "it needs exactly one '@'"), or nil when it is
    /// one.
    public static func problem(_ text: String) -> String? {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return "it needs exactly one '@'"
        }
        let (name, domain) = (parts[0], parts[1])
        let nameCharacters = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." || $0 == "_"
        }
        guard (1...64).contains(name.count), nameCharacters else {
            return "the name before '@' takes 1 to 64 lowercase letters, digits, '-', '.' or '_'"
        }
        let domainCharacters = domain.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "."
        }
        guard domainCharacters, domain.hasSuffix(".gserviceaccount.com"), !domain.contains("..") else {
            return "service accounts are in a *.gserviceaccount.com domain"
        }
        return nil
    }
}
