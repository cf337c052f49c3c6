// Package risk holds the score model: a finding's score is the sum of named
// factors, each with its points and a one-line reason, clamped to 0–100, so
// that anyone can see why one token outranks another. The factors and their
// points are documented in the README ("Risk score").
package risk

// Factor is one named contribution to a score.
type Factor struct {
	Name   string `json:"name"`
	Points int    `json:"points"`
	Reason string `json:"reason"`
}

// Total sums factors into a 0–100 score.
func Total(fs []Factor) int {
	t := 0
	for _, f := range fs {
		t += f.Points
	}
	return min(max(t, 0), 100)
}

// Points of every factor, in one place so the README table and the code agree.
const (
	BaseStoredToken   = 70 // a long-lived token publishes
	BaseLiteralToken  = 80 // a token value committed to a file
	BaseVariableToken = 70 // a token value stored as a readable variable
	BaseHalfMigration = 70 // OIDC is set up, a token still wins
	BaseUnusedSecret  = 35 // a registry secret nothing uses
	BaseExposed       = 40 // a registry token handed to a job that does not publish with it
	BaseRejected      = 30 // trusted publishing the registry will refuse
	BaseBroadSecret   = 40 // a registry token every (private) repository of the organisation can read
	BaseUngatedEnv    = 40 // a registry token in an environment with no reviewers and no branch policy

	WorkflowEnv      = 15 // every step of every job sees it
	JobEnv           = 10 // every step of the job sees it
	GitHubEnv        = 10 // written to $GITHUB_ENV: every later step sees it
	SharedSteps      = 5  // other steps that run code see it
	ThirdPartyAction = 10 // handed to an action not pinned to a commit
	ThirdPartyPinned = 4  // handed to a third-party action pinned to a SHA
	PullRequestTgt   = 20 // pull_request_target on the job holding it
	WorkflowRun      = 15
	CommentTrigger   = 10 // issue_comment, issues, discussion...
	PullRequest      = 5  // same-repository pull requests run the job
	SelfHosted       = 10
	DefaultPerms     = 5 // no permissions block: the repository default, often write
	WriteAll         = 10
	OrgAll           = 15
	OrgPrivate       = 10
	OrgSelected      = 5
	ManyReaders      = 5  // 5 to 19 repositories can read an organisation secret
	VeryManyReaders  = 10 // 20 or more
	PublicReaders    = 10 // public repositories can read an organisation secret
	RepoSecret       = 3
	EnvUnprotected   = 3
	EnvProtected     = -15
	UserWideToken    = 15
	ProjectToken     = -5
	NoExpiry         = 5
	Expired          = -40
	OldSecret        = 10  // not rotated for over a year
	AgingSecret      = 5   // over 180 days
	PublicRepo       = 10  // a committed token in a public repository
	StoredAsVariable = 15  // a token in a variable, whose value is readable
	ShortLived       = -40 // a committed token minted by trusted publishing (15 minutes)
	LowConfidence    = -10
	MediumConfidence = -5
)
