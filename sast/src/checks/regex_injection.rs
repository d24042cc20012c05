use super::prelude::*;

/// `regex-injection`: untrusted text compiled as a regular expression
/// (call sinks from the table).
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::REGEX);
    }
}
