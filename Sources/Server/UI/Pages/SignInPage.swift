/// `/ui/sign-in`: exchanges a token from the server's token file for a session cookie. The form carries the
/// server's own CSRF token, so another site cannot sign a browser in with its token.
enum SignInPage {
    static func body(csrfToken: String, next: String, problem: String?) -> HTML {
        let problemBox: HTML = problem.map { "<p class=\"problem\" role=\"alert\">\($0)</p>" } ?? ""
        return """
            <section class="sign-in">
            <h1>Sign in</h1>
            <p>This server needs a token from its token file (a <span class="mono">name:token</span> line).</p>
            \(problemBox)
            <form method="post" action="/ui/sign-in" id="sign-in-form">
            <input type="hidden" name="csrf" value="\(csrfToken)">
            <input type="hidden" name="next" value="\(next)">
            <label>Token <input type="password" name="token" id="token" autocomplete="current-password" required \
            autofocus></label>
            <button type="submit" id="sign-in">Sign in</button>
            </form>
            </section>
            """
    }
}
