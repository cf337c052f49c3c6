// Package rules is tpscan's one engine: rules are values (id, name, help, run)
// over the model, in the manner of golang.org/x/tools/go/analysis and
// actionlint. Every source fills the model, every output reads the findings;
// no rule knows where the model came from or where findings go.
package rules

import (
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/rules/flow"
	"github.com/tpscan/tpscan/rules/risk"
	"github.com/tpscan/tpscan/rules/tokens"
	"github.com/tpscan/tpscan/scanner/model"
)

// Rule is one check.
type Rule struct {
	// ID is stable forever ("TP001"); Name is a readable slug.
	ID   string
	Name string
	// Short is a one-line summary; Help says what, why it matters and how
	// to fix it.
	Short string
	Help  string
	// BaseScore is the least a typical finding of the rule scores (its
	// base factor's points): outputs that need one severity per rule, such
	// as SARIF's security-severity, use it when the rule found nothing.
	BaseScore int
	// Precision is how often a finding is a true positive, in SARIF's
	// terms: "very-high", "high", "medium" or "low".
	Precision string
	// Tags classify the rule for code scanning's filters.
	Tags []string
	// Run reports the rule's findings for one repository.
	Run func(*Pass)
	// RunOrg, when set, runs once over the whole inventory (organisation
	// secrets).
	RunOrg func(*OrgPass)
}

// All returns every rule in id order.
func All() []*Rule {
	rs := []*Rule{
		StoredTokenPublish,
		LiteralToken,
		HalfMigration,
		UnusedSecret,
		RejectedTrustedPublishing,
		ExposedToken,
		BroadSecret,
		UnprotectedEnvSecret,
	}
	sort.Slice(rs, func(i, k int) bool { return rs[i].ID < rs[k].ID })
	return rs
}

// Lookup returns the rule with the given id or name.
func Lookup(idOrName string) *Rule {
	for _, r := range All() {
		if strings.EqualFold(r.ID, idOrName) || strings.EqualFold(r.Name, idOrName) {
			return r
		}
	}
	return nil
}

// Options configure a run.
type Options struct {
	// InternalRegistries are URL prefixes of registries that are not public.
	InternalRegistries []string
	// ExtraSecretPatterns are extra regular expressions for registry-looking
	// secret names (used by the unused-secret rule).
	ExtraSecretPatterns []string
	// ReadFile reads a file of a repository's checkout, for following a
	// publish into a script; nil when there is no checkout.
	ReadFile func(repo *model.Repo, path string) ([]byte, bool)
	// Workers bounds the parallelism; 0 means GOMAXPROCS.
	Workers int
	// Now is the reference time for secret ages and token expiry; nil means
	// the wall clock (tests fix it).
	Now func() time.Time
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Pass is what a rule sees for one repository.
type Pass struct {
	Inventory *model.Inventory
	Repo      *model.Repo
	Flow      *flow.Result
	Catalog   *catalog.Catalog
	Options   *Options
	rule      *Rule
	out       *[]*Finding
}

// OrgPass is what an organisation-level rule sees.
type OrgPass struct {
	Inventory *model.Inventory
	// Flows are the flow results of every repository, by repository name.
	Flows   map[string]*flow.Result
	Catalog *catalog.Catalog
	Options *Options
	rule    *Rule
	out     *[]*Finding
}

// Report adds a finding; the engine fills rule, score and fingerprint.
func (p *Pass) Report(f *Finding, stepKey string) {
	finish(p.rule, f, stepKey)
	*p.out = append(*p.out, f)
}

// Report adds an organisation-level finding.
func (p *OrgPass) Report(f *Finding, stepKey string) {
	finish(p.rule, f, stepKey)
	*p.out = append(*p.out, f)
}

func finish(r *Rule, f *Finding, stepKey string) {
	scrub(f)
	f.Rule, f.RuleName = r.ID, r.Name
	f.Score = risk.Total(f.Factors)
	f.Severity = band(f.Score)
	if f.Confidence == "" {
		f.Confidence = "high"
	}
	if f.EndLine == 0 {
		f.EndLine = f.Line
	}
	if f.Column == 0 && f.Line > 0 {
		f.Column = 1
	}
	if f.EndColumn == 0 {
		f.EndColumn = f.Column
	}
	f.Fingerprint = f.fingerprint(stepKey)
}

// Run runs the rules over an inventory and returns the findings sorted by
// score, with duplicate fingerprints merged.
func Run(inv *model.Inventory, rs []*Rule, cat *catalog.Catalog, opts *Options) []*Finding {
	if opts == nil {
		opts = &Options{}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([][]*Finding, len(inv.Repos))
	flows := make([]*flow.Result, len(inv.Repos))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				repo := inv.Repos[i]
				an := &flow.Analyzer{Catalog: cat, Repo: repo, InternalRegistries: opts.InternalRegistries}
				if opts.ReadFile != nil {
					an.ReadFile = func(p string) ([]byte, bool) { return opts.ReadFile(repo, p) }
				}
				fr := an.Analyze()
				flows[i] = fr
				var out []*Finding
				for _, r := range rs {
					if r.Run == nil {
						continue
					}
					r.Run(&Pass{Inventory: inv, Repo: repo, Flow: fr, Catalog: cat, Options: opts, rule: r, out: &out})
				}
				results[i] = out
			}
		}()
	}
	for i := range inv.Repos {
		next <- i
	}
	close(next)
	wg.Wait()
	var all []*Finding
	for _, r := range results {
		all = append(all, r...)
	}
	byName := make(map[string]*flow.Result, len(flows))
	for i, fr := range flows {
		byName[inv.Repos[i].Name] = fr
	}
	for _, r := range rs {
		if r.RunOrg != nil {
			r.RunOrg(&OrgPass{Inventory: inv, Flows: byName, Catalog: cat, Options: opts, rule: r, out: &all})
		}
	}
	all = dedupe(all)
	sort.SliceStable(all, func(i, k int) bool { return Less(all[i], all[k]) })
	return all
}

// dedupe keeps one finding per fingerprint (the highest scored): the same
// credential can be reached twice, e.g. through two callers of one workflow.
func dedupe(fs []*Finding) []*Finding {
	best := map[string]int{}
	out := fs[:0]
	for _, f := range fs {
		if i, ok := best[f.Fingerprint]; ok {
			if f.Score > out[i].Score {
				out[i] = f
			}
			continue
		}
		best[f.Fingerprint] = len(out)
		out = append(out, f)
	}
	return out
}

// scrub is the last line of defence against a token value in a finding:
// every text a rule wrote is searched for literal tokens, and any found is
// replaced by its fingerprint. Rules never quote values, but step names,
// job ids and command words come from files that may hold one.
func scrub(f *Finding) {
	clean := func(s string) string {
		ms := tokens.Find([]byte(s))
		for i := len(ms) - 1; i >= 0; i-- {
			s = s[:ms[i].Offset] + ms[i].Fingerprint + s[ms[i].End:]
		}
		return s
	}
	f.Message, f.Step, f.Job, f.YAMLPath = clean(f.Message), clean(f.Step), clean(f.Job), clean(f.YAMLPath)
	f.Fix, f.Blocked, f.Secret = clean(f.Fix), clean(f.Blocked), clean(f.Secret)
	for i := range f.Via {
		f.Via[i] = clean(f.Via[i])
	}
	for i := range f.ManualSteps {
		f.ManualSteps[i] = clean(f.ManualSteps[i])
	}
	for i := range f.Secrets {
		f.Secrets[i] = clean(f.Secrets[i])
	}
	for i := range f.UsedBy {
		f.UsedBy[i] = clean(f.UsedBy[i])
	}
	for i := range f.Factors {
		f.Factors[i].Reason = clean(f.Factors[i].Reason)
	}
}
