//! The normalized job status: Socaity's documented set, which every provider's words map onto.
//! The per-provider word tables live in `providers/*`; this module only knows the normalized set.

/// A normalized job status. Exposed to JS as the upper-case string of the variant name.
///
/// Terminal: `Finished`, `Failed`, `Timeout`, `Cancelled`. `Unknown` is not terminal: the
/// provider sent a word polyjob does not know, and polling goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobStatus {
    Pending,
    Queued,
    Processing,
    Streaming,
    Finished,
    Failed,
    Timeout,
    Cancelled,
    Unknown,
}

impl JobStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [JobStatus; 9] = [
        JobStatus::Pending,
        JobStatus::Queued,
        JobStatus::Processing,
        JobStatus::Streaming,
        JobStatus::Finished,
        JobStatus::Failed,
        JobStatus::Timeout,
        JobStatus::Cancelled,
        JobStatus::Unknown,
    ];

    /// The wire/JS name: `"PENDING"`, `"QUEUED"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "PENDING",
            JobStatus::Queued => "QUEUED",
            JobStatus::Processing => "PROCESSING",
            JobStatus::Streaming => "STREAMING",
            JobStatus::Finished => "FINISHED",
            JobStatus::Failed => "FAILED",
            JobStatus::Timeout => "TIMEOUT",
            JobStatus::Cancelled => "CANCELLED",
            JobStatus::Unknown => "UNKNOWN",
        }
    }

    /// Parses the exact normalized name (as produced by [`JobStatus::as_str`]); nothing else.
    pub fn from_normalized(name: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// True for FINISHED, FAILED, TIMEOUT and CANCELLED: the job will not change again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Finished | JobStatus::Failed | JobStatus::Timeout | JobStatus::Cancelled
        )
    }

    /// Position in the lifecycle, used to ignore a status that moves backwards
    /// (e.g. PROCESSING after STREAMING). `Unknown` has no rank.
    pub fn rank(self) -> Option<u8> {
        match self {
            JobStatus::Pending => Some(0),
            JobStatus::Queued => Some(1),
            JobStatus::Processing => Some(2),
            JobStatus::Streaming => Some(3),
            JobStatus::Finished | JobStatus::Failed | JobStatus::Timeout | JobStatus::Cancelled => {
                Some(4)
            }
            JobStatus::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::from_normalized(s.as_str()), Some(s));
        }
        assert_eq!(JobStatus::from_normalized("finished"), None);
    }

    #[test]
    fn terminal_set() {
        let terminal: Vec<_> = JobStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .map(JobStatus::as_str)
            .collect();
        assert_eq!(terminal, ["FINISHED", "FAILED", "TIMEOUT", "CANCELLED"]);
    }
}
