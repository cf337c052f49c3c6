// Package gen generates realistic GitHub Actions workflows for benchmarks:
// test matrices, build jobs and a release job using one of the publishing
// patterns tpscan knows, in the proportions seen in public repositories.
package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

var languages = []string{"python", "node", "ruby", "rust", "dotnet"}

var publishers = []string{
	`      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_API_TOKEN }}`,
	`      - name: Publish
        env:
          TWINE_USERNAME: __token__
          TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}
        run: |
          python -m pip install --upgrade build twine
          python -m build
          twine upload --skip-existing dist/*`,
	`      - uses: actions/setup-node@v4
        with:
          node-version: 20
          registry-url: https://registry.npmjs.org
      - run: npm ci
      - run: npm publish --access public
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}`,
	`      - name: Publish gem
        run: |
          mkdir -p $HOME/.gem
          touch $HOME/.gem/credentials
          chmod 0600 $HOME/.gem/credentials
          printf -- "---\n:rubygems_api_key: ${GEM_HOST_API_KEY}\n" > $HOME/.gem/credentials
          gem build *.gemspec
          gem push *.gem
        env:
          GEM_HOST_API_KEY: "${{ secrets.RUBYGEMS_AUTH_TOKEN }}"`,
	`      - run: cargo publish --locked
        env:
          CARGO_REGISTRY_TOKEN: ${{ secrets.CARGO_REGISTRY_TOKEN }}`,
	`      - run: dotnet pack -c Release -o out
      - run: dotnet nuget push out/*.nupkg --api-key ${{ secrets.NUGET_API_KEY }} --source https://api.nuget.org/v3/index.json --skip-duplicate`,
	`      - uses: pypa/gh-action-pypi-publish@release/v1`,
	`      - uses: rust-lang/crates-io-auth-action@v1
        id: auth
      - run: cargo publish
        env:
          CARGO_REGISTRY_TOKEN: ${{ steps.auth.outputs.token }}`,
}

// Workflow returns the i-th workflow of a deterministic stream.
func Workflow(r *rand.Rand, i int) string {
	var b strings.Builder
	lang := languages[r.IntN(len(languages))]
	fmt.Fprintf(&b, "# Generated workflow %d for benchmarks (%s project).\nname: CI %d\n\non:\n  push:\n    branches: [main]\n    tags: ['v*']\n  pull_request:\n    branches: [main]\n  workflow_dispatch:\n\n", i, lang, i)
	if r.IntN(3) == 0 {
		b.WriteString("permissions:\n  contents: read\n\n")
	}
	b.WriteString("env:\n  FORCE_COLOR: \"1\"\n  PIP_DISABLE_PIP_VERSION_CHECK: \"1\"\n\njobs:\n")
	// Test matrix.
	b.WriteString("  test:\n    name: Test ${{ matrix.os }} / ${{ matrix.version }}\n    runs-on: ${{ matrix.os }}\n    strategy:\n      fail-fast: false\n      matrix:\n        os: [ubuntu-latest, macos-latest, windows-latest]\n        version: ['3.10', '3.11', '3.12', '3.13']\n    steps:\n")
	b.WriteString("      - uses: actions/checkout@v4\n        with:\n          fetch-depth: 0\n")
	b.WriteString("      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ matrix.version }}\n          cache: pip\n")
	b.WriteString("      - uses: actions/cache@v4\n        with:\n          path: ~/.cache\n          key: ${{ runner.os }}-${{ hashFiles('**/requirements*.txt') }}\n")
	for k := 0; k < 2+r.IntN(3); k++ {
		fmt.Fprintf(&b, "      - name: Step %d\n        run: |\n          python -m pip install --upgrade pip\n          pip install -e .[test]\n          if [ -f requirements-%d.txt ]; then pip install -r requirements-%d.txt; fi\n          pytest -q --cov=src tests/ -k \"not slow\"\n", k, k, k)
	}
	b.WriteString("      - uses: codecov/codecov-action@v4\n        with:\n          token: ${{ secrets.CODECOV_TOKEN }}\n\n")
	// Lint job.
	b.WriteString("  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          pipx run pre-commit run --all-files\n          echo \"done\" >> $GITHUB_STEP_SUMMARY\n\n")
	// Release job.
	b.WriteString("  release:\n    needs: [test, lint]\n    if: startsWith(github.ref, 'refs/tags/v')\n    runs-on: ubuntu-latest\n")
	if r.IntN(2) == 0 {
		b.WriteString("    environment: release\n    permissions:\n      contents: write\n      id-token: write\n")
	}
	b.WriteString("    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/download-artifact@v4\n        with:\n          name: dist\n          path: dist/\n")
	b.WriteString(publishers[r.IntN(len(publishers))])
	b.WriteString("\n")
	return b.String()
}

// New returns a deterministic generator.
func New(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }
