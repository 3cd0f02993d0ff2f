import TestSupport
import Testing

extension Trait where Self == ConditionTrait {
    /// Runs the suite when the stack is there or required (`make test`); disabled on a bare `swift test`.
    static var stack: Self {
        .enabled(if: TestStack.isEnabled, "the local stack is not running: use `make test` (CHATBOTS_REQUIRE_INTEGRATION=1)")
    }
}
