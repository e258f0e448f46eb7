package workflows

// The workflows as templates (delimiters [[ ]], so that GitHub's ${{ }}
// stays literal). Every value from the model is quoted with q, or is a
// name the schema restricts to [a-z0-9-].

const shared = `
[[- define "idpgen" ]]      - uses: [[ .Pins.setupGo ]]
        with:
[[- if .FromRepo ]]
          go-version-file: go.mod
      - name: Build idpgen from this repository
        run: |
          go build -o "$RUNNER_TEMP/bin/idpgen" ./cmd/idpgen
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
[[- else ]]
          go-version: [[ q .GoVersion ]]
          cache: false
      - name: Install idpgen [[ .IDPGen ]]
        run: |
          go install github.com/idpgen/idpgen/cmd/idpgen@[[ .IDPGen ]]
          echo "$(go env GOPATH)/bin" >> "$GITHUB_PATH"
[[- end ]]
[[ end -]]
[[- define "terraform" ]]      - uses: [[ .Pins.setupTF ]]
        with:
          terraform_version: [[ q .TerraformVersion ]]
          terraform_wrapper: false
[[ end -]]
[[- define "summary" ]]      - name: Plan summary
        run: |
          terraform show -no-color tfplan > plan.txt
          {
            echo "### terraform plan: [[ .Name ]]"
            echo
            if grep -q '^No changes\.' plan.txt; then
              echo 'No changes.'
            else
              echo '~~~'
              grep -E '^  # |^Plan:' plan.txt || true
              echo '~~~'
            fi
          } >> "$GITHUB_STEP_SUMMARY"
[[ end -]]
`

var pullRequest = parse("pull-request", shared+`
# Pull requests against [[ .Branch ]]: checks, one comment, and a Terraform plan of
# every environment whose Terraform changes (README, "Pull requests and merges").
name: idpgen pull request
"on":
  pull_request:
    branches: [[ printf "[%s]" (q .Branch) ]]
permissions: {}
concurrency:
  group: idpgen-pr-${{ github.event.pull_request.number }}
  cancel-in-progress: true
jobs:
  check:
    name: idpgen vet and render --check
    runs-on: [[ .Runner ]]
    permissions:
      contents: read
    steps:
      - uses: [[ .Pins.checkout ]]
        with:
          fetch-depth: 2
          persist-credentials: false
[[ template "idpgen" . ]]      - name: idpgen vet
        run: idpgen vet --platform [[ q .Platform ]] --out [[ q .Out ]] --format github
      - name: idpgen render --check
        run: idpgen render --check --platform [[ q .Platform ]] --out [[ q .Out ]]
      - name: idpgen vet against the base's tree (Kubernetes moves one minor at a time)
        # The pull request carries its own re-rendered tree, so the upgrade
        # rules compare the cluster versions with the base branch's tree:
        # the checkout is the merge commit, whose first parent is the base.
        run: |
          git worktree add --detach "$RUNNER_TEMP/base" HEAD^1
          idpgen vet --platform [[ q .Platform ]] --out "$RUNNER_TEMP/base/"[[ q .Out ]] --format github
[[ template "terraform" . ]]      - name: terraform fmt -check
        run: terraform fmt -check -recursive [[ q .Out ]]

  comment:
    name: Pull request comment (diff, cost, graph)
    # A fork's pull request gets a read-only token: no comment, no plan.
    if: github.event.pull_request.head.repo.full_name == github.repository
    runs-on: [[ .Runner ]]
    permissions:
      contents: read
      pull-requests: write
    steps:
      - uses: [[ .Pins.checkout ]]
        with:
          fetch-depth: 0
          persist-credentials: false
[[ template "idpgen" . ]]      - name: Write the comment
        env:
          BASE_SHA: ${{ github.event.pull_request.base.sha }}
          HEAD_SHA: ${{ github.event.pull_request.head.sha }}
        run: |
          set -o pipefail
          base="$RUNNER_TEMP/base"
          log="$RUNNER_TEMP/idpgen-comment.log"
          git worktree add --detach "$base" "$BASE_SHA"
          {
            echo '[[ .Marker ]]'
            echo '## idpgen'
            echo
            echo "Head \`+"`"+`${HEAD_SHA:0:12}\`+"`"+` against the base \`+"`"+`${BASE_SHA:0:12}\`+"`"+`."
            echo
            echo '### Rendered tree: what changes'
            echo
            echo '[[ fence ]]'
            # Paths relative to the repository, as in the pull request.
            idpgen diff --platform [[ q .Platform ]] --out "$base/"[[ q .Out ]] 2>>"$log" | sed "s#$base/##g" || echo "idpgen diff failed: see the check job"
            echo '[[ fence ]]'
            echo
            idpgen cost --platform [[ q .Platform ]] --base "$BASE_SHA" 2>>"$log" || echo "idpgen cost failed: see the check job"
            echo
            echo '### Traffic ([[ .GraphEnv ]])'
            echo
            echo '<details><summary>graph</summary>'
            echo
            echo '[[ fence ]]mermaid'
            idpgen graph --platform [[ q .Platform ]] --env [[ .GraphEnv ]] 2>>"$log" || echo "idpgen graph failed: see the check job"
            echo '[[ fence ]]'
            echo
            echo '</details>'
          } > "$RUNNER_TEMP/idpgen-comment.md"
      - name: Post or update the comment
        uses: [[ .Pins.script ]]
        with:
          script: |
            const fs = require('fs');
            const marker = '[[ .Marker ]]';
            let body = fs.readFileSync(process.env.RUNNER_TEMP + '/idpgen-comment.md', 'utf8');
            if (body.length > 65000) {
              body = body.slice(0, 64000) + '\n\n(truncated: run idpgen diff locally for the rest)\n';
            }
            const {owner, repo} = context.repo;
            const issue_number = context.issue.number;
            const comments = await github.paginate(github.rest.issues.listComments, {owner, repo, issue_number, per_page: 100});
            const mine = comments.find(c => c.user.type === 'Bot' && c.body.startsWith(marker));
            if (mine) {
              await github.rest.issues.updateComment({owner, repo, comment_id: mine.id, body});
            } else {
              await github.rest.issues.createComment({owner, repo, issue_number, body});
            }

  changes:
    name: Terraform changed
    runs-on: [[ .Runner ]]
    permissions:
      contents: read
    outputs:
[[- range .Envs ]]
      [[ .Name ]]: ${{ steps.filter.outputs.[[ .Name ]] }}
[[- end ]]
    steps:
      - uses: [[ .Pins.checkout ]]
        with:
          fetch-depth: 2
          persist-credentials: false
      - id: filter
        # The checkout is the merge commit: its first parent is the base.
        run: |
          git diff --name-only HEAD^1 HEAD > "$RUNNER_TEMP/changed"
[[- range .Envs ]]
          if grep -q '^[[ .Dir ]]/' "$RUNNER_TEMP/changed"; then echo "[[ .Name ]]=true"; else echo "[[ .Name ]]=false"; fi >> "$GITHUB_OUTPUT"
[[- end ]]
[[ range .Envs ]]
  plan-[[ .Name ]]:
    name: terraform plan ([[ .Name ]])
    needs: changes
    if: needs.changes.outputs.[[ .Name ]] == 'true' && github.event.pull_request.head.repo.full_name == github.repository
    runs-on: [[ $.Runner ]]
    permissions:
      contents: read
      id-token: write
    defaults:
      run:
        working-directory: [[ .Dir ]]
    steps:
      - uses: [[ $.Pins.checkout ]]
        with:
          persist-credentials: false
      - uses: [[ $.Pins.awsCreds ]]
        with:
          role-to-assume: [[ q .PlanRole ]]
          aws-region: [[ q .Region ]]
          allowed-account-ids: [[ q .Account ]]
[[ template "terraform" $ ]]      - run: terraform init -input=false -no-color
      - run: terraform validate -no-color
      # Read-only: the plan role cannot take the state lock, and needs not.
      - run: terraform plan -input=false -lock=false -no-color -out=tfplan
[[ template "summary" . ]]      - uses: [[ $.Pins.upload ]]
        with:
          name: tfplan-[[ .Name ]]-pr-${{ github.event.pull_request.number }}
          path: |
            [[ .Dir ]]/tfplan
            [[ .Dir ]]/plan.txt
          retention-days: 7
[[ end -]]
`)

var apply = parse("apply", shared+`
# Pushes to [[ .Branch ]] (merges): plan every environment, then apply the saved
# plan, one GitHub environment after the other in promotion order
# ([[ range $i, $e := .Envs ]][[ if $i ]] -> [[ end ]][[ $e.Name ]][[ end ]]). An environment whose plan has no changes is skipped;
# a failure stops the environments after it (README, "Pull requests and merges").
name: idpgen apply
"on":
  push:
    branches: [[ printf "[%s]" (q .Branch) ]]
    paths:
[[- range .Envs ]]
      - [[ q (printf "%s/**" .Dir) ]]
[[- end ]]
  workflow_dispatch: {}
permissions: {}
# One run at a time; a newer push waits (and replaces an older waiting one).
concurrency:
  group: idpgen-apply
  cancel-in-progress: false
jobs:
[[- range $i, $e := .Envs ]][[ if $i ]]
[[ end ]]
  plan-[[ .Name ]]:
    name: terraform plan ([[ .Name ]])
    runs-on: [[ $.Runner ]]
    permissions:
      contents: read
      id-token: write
    outputs:
      changes: ${{ steps.plan.outputs.changes }}
    defaults:
      run:
        working-directory: [[ .Dir ]]
    steps:
      - uses: [[ $.Pins.checkout ]]
        with:
          persist-credentials: false
      - uses: [[ $.Pins.awsCreds ]]
        with:
          role-to-assume: [[ q .PlanRole ]]
          aws-region: [[ q .Region ]]
          allowed-account-ids: [[ q .Account ]]
[[ template "terraform" $ ]]      - run: terraform init -input=false -no-color
      - id: plan
        run: |
          set +e
          terraform plan -input=false -lock=false -no-color -detailed-exitcode -out=tfplan
          code=$?
          set -e
          case $code in
            0) echo "changes=false" >> "$GITHUB_OUTPUT" ;;
            2) echo "changes=true" >> "$GITHUB_OUTPUT" ;;
            *) exit "$code" ;;
          esac
[[ template "summary" . ]]      - uses: [[ $.Pins.upload ]]
        with:
          name: tfplan-[[ .Name ]]
          # The lock file too: apply runs with the providers the plan used.
          path: |
            [[ .Dir ]]/tfplan
            [[ .Dir ]]/plan.txt
            [[ .Dir ]]/.terraform.lock.hcl
          include-hidden-files: true
          retention-days: 30

  apply-[[ .Name ]]:
    name: terraform apply ([[ .Name ]])
    needs: [[ if .Prev ]][plan-[[ .Name ]], apply-[[ .Prev ]]][[ else ]][plan-[[ .Name ]]][[ end ]]
    if: ${{ !cancelled() && !failure() && needs.plan-[[ .Name ]].outputs.changes == 'true' }}
    runs-on: [[ $.Runner ]]
    environment: [[ .Name ]]
    concurrency:
      group: terraform-[[ .Name ]]
      cancel-in-progress: false
    permissions:
      contents: read
      id-token: write
    defaults:
      run:
        working-directory: [[ .Dir ]]
    steps:
      - uses: [[ $.Pins.checkout ]]
        with:
          persist-credentials: false
      - uses: [[ $.Pins.download ]]
        with:
          name: tfplan-[[ .Name ]]
          path: [[ .Dir ]]
      - uses: [[ $.Pins.awsCreds ]]
        with:
          role-to-assume: [[ q .ApplyRole ]]
          aws-region: [[ q .Region ]]
          allowed-account-ids: [[ q .Account ]]
[[ template "terraform" $ ]]      - run: terraform init -input=false -no-color
      - run: terraform apply -input=false -no-color tfplan
[[- end ]]
`)
