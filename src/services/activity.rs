//! The activity log, written by the services after each change they make.
//! The change is what matters: a line that cannot be written is reported
//! in the server's log, never allowed to undo or fail the change itself.

use crate::model::accounts::ActivityTarget;
use crate::store::Store;

/// Writes one line: who (`None`: the command line or the scheduler), what
/// they did, to what, and the piece it concerns when there is one.
pub async fn record(
    store: &Store,
    who: Option<&str>,
    action: &str,
    subject: &str,
    target: Option<ActivityTarget<'_>>,
) {
    if let Err(e) = store.log_activity_on(who, action, subject, target).await {
        tracing::warn!(error = %e, action, "could not record a change in the activity log");
    }
}
