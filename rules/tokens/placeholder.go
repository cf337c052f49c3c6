package tokens

import "math"

// Placeholder heuristics. Real tokens are random: over the lengths used
// here (32 to 255 symbols) the chance that a genuine token trips any of
// these limits is around one in ten million or less, while documentation
// placeholders ("npm_xxxx…", "0000…", "abcdef" repeated, "1234567890…")
// trip them at once.
const (
	minEntropy = 3.0 // bits per byte
	// Longest run of one repeated byte, or of ascending/descending
	// neighbours ("abcdef", "654321"), tolerated in a random body. Hex
	// bodies get a longer allowance because their alphabet is small.
	maxRun, maxRunHex = 5, 7
	// Bodies that repeat with a period this short or less are patterns.
	maxPeriod = 12
)

// isPlaceholder reports whether the variable part of a token looks like a
// placeholder rather than random key material.
func isPlaceholder(body []byte, hexAlphabet bool) bool {
	if len(body) == 0 || entropy(body) < minEntropy {
		return true
	}
	limit := maxRun
	if hexAlphabet {
		limit = maxRunHex
	}
	return longestRun(body) > limit || periodic(body)
}

// entropy is the Shannon entropy of body in bits per byte.
func entropy(body []byte) float64 {
	var counts [256]int
	for _, c := range body {
		counts[c]++
	}
	n := float64(len(body))
	h := 0.0
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// longestRun returns the length of the longest stretch of body in which
// every byte equals, or is one above, or is one below its predecessor (one
// direction per stretch).
func longestRun(body []byte) int {
	best := 1
	for _, step := range [...]int{0, 1, -1} {
		cur := 1
		for i := 1; i < len(body); i++ {
			if int(body[i])-int(body[i-1]) == step {
				cur++
				best = max(best, cur)
			} else {
				cur = 1
			}
		}
	}
	return best
}

// periodic reports whether body is a short pattern repeated (at least
// twice over).
func periodic(body []byte) bool {
	for p := 1; p <= maxPeriod && 2*p <= len(body); p++ {
		i := p
		for i < len(body) && body[i] == body[i-p] {
			i++
		}
		if i == len(body) {
			return true
		}
	}
	return false
}
