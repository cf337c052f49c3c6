package fakegithub

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// JSON shapes. Maps are used so that encoding/json sorts keys: the same
// state always yields byte-identical bodies, which keeps ETags stable. Every
// object carries at least the required properties of its OpenAPI schema
// (minimal-repository, full-repository, repository, simple-user, ...); the
// validator test holds the fake to that.

type obj = map[string]any

// nodeID encodes ids the way GitHub's legacy global ids look
// ("MDEwOlJlcG9zaXRvcnkx" = base64 "010:Repository1").
func nodeID(typ string, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("0%d:%s%d", len(typ), typ, id)))
}

func (c *rctx) userJSON(login string, id int64, typ string) obj {
	u := c.base() + "users/" + login
	return obj{
		"login":               login,
		"id":                  id,
		"node_id":             nodeID(typ, id),
		"avatar_url":          fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id),
		"gravatar_id":         "",
		"url":                 u,
		"html_url":            c.htmlBase() + login,
		"followers_url":       u + "/followers",
		"following_url":       u + "/following{/other_user}",
		"gists_url":           u + "/gists{/gist_id}",
		"starred_url":         u + "/starred{/owner}{/repo}",
		"subscriptions_url":   u + "/subscriptions",
		"organizations_url":   u + "/orgs",
		"repos_url":           u + "/repos",
		"events_url":          u + "/events{/privacy}",
		"received_events_url": u + "/received_events",
		"type":                typ,
		"user_view_type":      "public",
		"site_admin":          false,
	}
}

func (c *rctx) orgOwnerJSON(o *Org) obj { return c.userJSON(o.Login, o.ID, "Organization") }

// repoJSON serves the union of full-repository and repository (the
// installation listing's schema); minimal-repository is a subset of it.
func (c *rctx) repoJSON(o *Org, r *Repo) obj {
	full := o.Login + "/" + r.Name
	u := c.base() + "repos/" + full
	html := c.htmlBase() + full
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(c.htmlBase(), "https://"), "http://"), "/")
	sn := c.s.snap(o, r)
	size := 0
	for _, obj := range sn.objects {
		if obj.kind == "blob" {
			size += len(obj.data)
		}
	}
	j := obj{
		"id":                          r.ID,
		"node_id":                     nodeID("Repository", r.ID),
		"name":                        r.Name,
		"full_name":                   full,
		"owner":                       c.orgOwnerJSON(o),
		"private":                     r.isPrivate(),
		"html_url":                    html,
		"description":                 nil,
		"fork":                        r.Fork,
		"url":                         u,
		"archive_url":                 u + "/{archive_format}{/ref}",
		"assignees_url":               u + "/assignees{/user}",
		"blobs_url":                   u + "/git/blobs{/sha}",
		"branches_url":                u + "/branches{/branch}",
		"collaborators_url":           u + "/collaborators{/collaborator}",
		"comments_url":                u + "/comments{/number}",
		"commits_url":                 u + "/commits{/sha}",
		"compare_url":                 u + "/compare/{base}...{head}",
		"contents_url":                u + "/contents/{+path}",
		"contributors_url":            u + "/contributors",
		"deployments_url":             u + "/deployments",
		"downloads_url":               u + "/downloads",
		"events_url":                  u + "/events",
		"forks_url":                   u + "/forks",
		"git_commits_url":             u + "/git/commits{/sha}",
		"git_refs_url":                u + "/git/refs{/sha}",
		"git_tags_url":                u + "/git/tags{/sha}",
		"git_url":                     "git://" + host + "/" + full + ".git",
		"issue_comment_url":           u + "/issues/comments{/number}",
		"issue_events_url":            u + "/issues/events{/number}",
		"issues_url":                  u + "/issues{/number}",
		"keys_url":                    u + "/keys{/key_id}",
		"labels_url":                  u + "/labels{/name}",
		"languages_url":               u + "/languages",
		"merges_url":                  u + "/merges",
		"milestones_url":              u + "/milestones{/number}",
		"notifications_url":           u + "/notifications{?since,all,participating}",
		"pulls_url":                   u + "/pulls{/number}",
		"releases_url":                u + "/releases{/id}",
		"ssh_url":                     "git@" + host + ":" + full + ".git",
		"stargazers_url":              u + "/stargazers",
		"statuses_url":                u + "/statuses/{sha}",
		"subscribers_url":             u + "/subscribers",
		"subscription_url":            u + "/subscription",
		"tags_url":                    u + "/tags",
		"teams_url":                   u + "/teams",
		"trees_url":                   u + "/git/trees{/sha}",
		"clone_url":                   html + ".git",
		"mirror_url":                  nil,
		"hooks_url":                   u + "/hooks",
		"svn_url":                     html,
		"homepage":                    nil,
		"language":                    nil,
		"forks_count":                 0,
		"stargazers_count":            0,
		"watchers_count":              0,
		"size":                        (size + 1023) / 1024,
		"default_branch":              r.defaultBranch(),
		"open_issues_count":           0,
		"is_template":                 false,
		"topics":                      []string{},
		"has_issues":                  true,
		"has_projects":                true,
		"has_wiki":                    true,
		"has_pages":                   false,
		"has_downloads":               true,
		"has_discussions":             false,
		"archived":                    r.Archived,
		"disabled":                    r.Disabled,
		"visibility":                  r.visibility(),
		"pushed_at":                   ts(r.PushedAt),
		"created_at":                  ts(r.CreatedAt),
		"updated_at":                  ts(r.PushedAt),
		"allow_forking":               true,
		"web_commit_signoff_required": false,
		"subscribers_count":           0,
		"network_count":               0,
		"license":                     nil,
		"forks":                       0,
		"open_issues":                 0,
		"watchers":                    0,
	}
	if c.p.tok != nil {
		admin := c.p.kind() == KindClassic && c.p.hasScope("repo")
		j["permissions"] = obj{"admin": admin, "maintain": admin, "push": admin, "triage": admin, "pull": true}
	}
	return j
}

func (c *rctx) orgFullJSON(o *Org) obj {
	u := c.base() + "orgs/" + o.Login
	public := 0
	for _, r := range o.Repos {
		if !r.isPrivate() {
			public++
		}
	}
	return obj{
		"login":                          o.Login,
		"id":                             o.ID,
		"node_id":                        nodeID("Organization", o.ID),
		"url":                            u,
		"repos_url":                      u + "/repos",
		"events_url":                     u + "/events",
		"hooks_url":                      u + "/hooks",
		"issues_url":                     u + "/issues",
		"members_url":                    u + "/members{/member}",
		"public_members_url":             u + "/public_members{/member}",
		"avatar_url":                     fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", o.ID),
		"description":                    nil,
		"html_url":                       c.htmlBase() + o.Login,
		"has_organization_projects":      true,
		"has_repository_projects":        true,
		"public_repos":                   public,
		"public_gists":                   0,
		"followers":                      0,
		"following":                      0,
		"type":                           "Organization",
		"created_at":                     ts(o.CreatedAt),
		"updated_at":                     ts(o.CreatedAt),
		"archived_at":                    nil,
		"is_verified":                    false,
		"two_factor_requirement_enabled": nil,
	}
}

// privateUserJSON is GET /user for the token's user.
func (c *rctx) privateUserJSON(t *Token) obj {
	j := c.userJSON(t.Login, userID(t), "User")
	j["user_view_type"] = "private"
	extra := obj{
		"name": nil, "company": nil, "blog": "", "location": nil, "email": nil, "hireable": nil, "bio": nil,
		"twitter_username": nil, "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
		"created_at": ts(DefaultTime), "updated_at": ts(DefaultTime), "private_gists": 0, "total_private_repos": 0,
		"owned_private_repos": 0, "disk_usage": 0, "collaborators": 0, "two_factor_authentication": true,
		"notification_email": nil,
	}
	for k, v := range extra {
		j[k] = v
	}
	return j
}

func (c *rctx) teamJSON(o *Org, slug string, id int64) obj {
	u := fmt.Sprintf("%steams/%d", c.base(), id)
	return obj{
		"id":                   id,
		"node_id":              nodeID("Team", id),
		"url":                  u,
		"html_url":             c.htmlBase() + "orgs/" + o.Login + "/teams/" + slug,
		"name":                 slug,
		"slug":                 slug,
		"description":          nil,
		"privacy":              "closed",
		"notification_setting": "notifications_enabled",
		"permission":           "pull",
		"members_url":          u + "/members{/member}",
		"repositories_url":     u + "/repos",
		"parent":               nil,
		"type":                 "organization",
	}
}
