package tokens

import (
	"strings"
	"testing"
)

// benchWorkflow is a realistic release workflow (~4 KB) with references to
// secrets but no literal token.
const benchWorkflow = `name: Release

on:
  push:
    tags: ["v*.*.*"]
  workflow_dispatch:
    inputs:
      dry-run:
        description: "Build and check the packages without uploading them"
        type: boolean
        default: false

permissions:
  contents: read

concurrency:
  group: release-${{ github.ref }}
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ["3.10", "3.11", "3.12", "3.13"]
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b # v5.3.0
        with:
          python-version: ${{ matrix.python-version }}
          cache: pip
      - name: Install build tooling
        run: |
          python -m pip install --upgrade pip
          python -m pip install build twine check-manifest
      - name: Build sdist and wheel
        run: python -m build --sdist --wheel --outdir dist/ .
      - name: Check metadata
        run: twine check --strict dist/*
      - uses: actions/upload-artifact@b4b15b8c7c6ac21ea08fcf65892d2ee8c75cf882 # v4.4.3
        with:
          name: dist-${{ matrix.python-version }}
          path: dist/
          retention-days: 5

  publish-pypi:
    needs: build
    if: startsWith(github.ref, 'refs/tags/') && !inputs.dry-run
    runs-on: ubuntu-latest
    environment:
      name: pypi
      url: https://pypi.org/project/example-package/
    permissions:
      id-token: write
    steps:
      - uses: actions/download-artifact@fa0a91b85d4f404e444e00e005971372dc801d16 # v4.1.8
        with:
          name: dist-3.12
          path: dist/
      - name: Publish to TestPyPI first
        uses: pypa/gh-action-pypi-publish@67339c736fd9354cd4f8cb0b744f2b82a74b5c70 # v1.12.3
        with:
          repository-url: https://test.pypi.org/legacy/
          password: ${{ secrets.TEST_PYPI_API_TOKEN }}
          skip-existing: true
      - name: Publish to PyPI
        uses: pypa/gh-action-pypi-publish@67339c736fd9354cd4f8cb0b744f2b82a74b5c70 # v1.12.3

  publish-npm:
    needs: build
    runs-on: ubuntu-latest
    permissions:
      contents: read
      id-token: write
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af # v4.1.0
        with:
          node-version: 22
          registry-url: https://registry.npmjs.org
      - run: npm ci --ignore-scripts
      - run: npm publish --provenance --access public
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
      - name: Write npmrc for the mirror
        run: |
          echo "//npm.pkg.github.com/:_authToken=${GITHUB_TOKEN}" >> ~/.npmrc
          echo "@example:registry=https://npm.pkg.github.com" >> ~/.npmrc
        env:
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}

  publish-gem:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: ruby/setup-ruby@a4effe49ee8ee5b8b5091268c473a4628afb5651 # v1.245.0
        with:
          ruby-version: "3.3"
          bundler-cache: true
      - name: Configure credentials
        run: |
          mkdir -p ~/.gem
          printf -- "---\n:rubygems_api_key: %s\n" "$RUBYGEMS_API_KEY" > ~/.gem/credentials
          chmod 0600 ~/.gem/credentials
        env:
          RUBYGEMS_API_KEY: ${{ secrets.RUBYGEMS_API_KEY }}
      - run: gem build *.gemspec && gem push *.gem

  publish-crate:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: rust-lang/crates-io-auth-action@e919bc7605cde86df457cf5b93c5e103838bd879 # v1.0.1
        id: auth
      - run: cargo publish --locked
        env:
          CARGO_REGISTRY_TOKEN: ${{ steps.auth.outputs.token }}

  publish-nuget:
    needs: build
    runs-on: windows-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: dotnet pack -c Release -o out
      - run: dotnet nuget push out/*.nupkg --api-key ${{ secrets.NUGET_API_KEY }} --source https://api.nuget.org/v3/index.json --skip-duplicate
`

func BenchmarkFind(b *testing.B) {
	fx := fixtures()
	withTokens := strings.Replace(benchWorkflow, "${{ secrets.NPM_TOKEN }}", fx["npm"].value, 1)
	withTokens = strings.Replace(withTokens, "${{ secrets.TEST_PYPI_API_TOKEN }}", fx["testpypiproject"].value, 1)
	withTokens = strings.Replace(withTokens, "${{ secrets.NUGET_API_KEY }}", fx["nuget"].value, 1)
	withTokens = strings.Replace(withTokens, "${{ secrets.RUBYGEMS_API_KEY }}", fx["rubygems"].value, 1)
	withTokens = strings.Replace(withTokens, "${{ steps.auth.outputs.token }}", fx["crates"].value, 1)
	for _, bc := range []struct {
		name  string
		input string
		want  int
	}{
		{"no-token", benchWorkflow, 0},
		{"tokens", withTokens, 5},
	} {
		content := []byte(bc.input)
		if n := len(Find(content)); n != bc.want {
			b.Fatalf("%s: found %d tokens, want %d", bc.name, n, bc.want)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(content)))
			b.ReportAllocs()
			for b.Loop() {
				Find(content)
			}
		})
	}
}
