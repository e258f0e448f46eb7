package model

// Delivery is how a change reaches the platform from git (schemas/delivery.cue).
type Delivery struct {
	GitHub *GitHubDelivery `json:"github,omitempty"` // nil: no workflows, no CI roles
}

// GitHubDelivery is the platform repository on GitHub and the tools its
// workflows run.
type GitHubDelivery struct {
	Repository       string `json:"repository"` // owner/name
	Branch           string `json:"branch"`
	IDPGen           string `json:"idpgen"` // a release version, or "repository"
	GoVersion        string `json:"goVersion"`
	TerraformVersion string `json:"terraformVersion"`
	Runner           string `json:"runner"`
}

// IDPGenFromRepository is GitHubDelivery.IDPGen when CI builds idpgen from
// the platform repository itself.
const IDPGenFromRepository = "repository"
