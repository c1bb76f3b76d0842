// Command verify-go checks edgecoder's signed checkpoints and Merkle proofs with the Go reference
// code (golang.org/x/mod/sumdb/note and sumdb/tlog), independently of the TypeScript under test.
//
// Input (JSON on stdin):
//
//	{ "note": "<signed checkpoint>", "verifierKey": "<name>+<id>+<key>",
//	  "proofs": [ { "kind": "inclusion", "index": 3, "entry": "<base64>", "proof": ["<base64>", ...] },
//	              { "kind": "consistency", "oldSize": 5, "oldRoot": "<base64>", "proof": [...] } ] }
//
// Proofs are against the tree the checkpoint names. The leaf hash is computed here from the entry.
// Prints a JSON summary and exits 0 when everything verifies; exits 1 with a message otherwise.
// Build (GOPATH mode, Debian's golang-golang-x-mod-dev): scripts/install-go-verifier.sh
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type proof struct {
	Kind    string   `json:"kind"`
	Index   int64    `json:"index"`
	Entry   string   `json:"entry"`
	OldSize int64    `json:"oldSize"`
	OldRoot string   `json:"oldRoot"`
	Hashes  []string `json:"proof"`
}

type input struct {
	Note        string  `json:"note"`
	VerifierKey string  `json:"verifierKey"`
	Proofs      []proof `json:"proofs"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "verify-go: "+format+"\n", args...)
	os.Exit(1)
}

func hashOf(s string) tlog.Hash {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		fail("%q is not a base64 SHA-256 hash", s)
	}
	var h tlog.Hash
	copy(h[:], b)
	return h
}

func main() {
	raw, err := io.ReadAll(io.LimitReader(os.Stdin, 16<<20))
	if err != nil {
		fail("reading stdin: %v", err)
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		fail("input is not JSON: %v", err)
	}
	v, err := note.NewVerifier(in.VerifierKey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open([]byte(in.Note), note.VerifierList(v))
	if err != nil {
		fail("note: %v", err)
	}

	// C2SP tlog-checkpoint: origin, decimal size, base64 root, then optional extension lines
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 || lines[0] == "" {
		fail("checkpoint: fewer than 3 lines")
	}
	origin := lines[0]
	if origin != v.Name() {
		fail("checkpoint origin %q is not the key name %q", origin, v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		fail("checkpoint: bad tree size %q", lines[1])
	}
	root := hashOf(lines[2])

	for i, p := range in.Proofs {
		hashes := make([]tlog.Hash, len(p.Hashes))
		for j, h := range p.Hashes {
			hashes[j] = hashOf(h)
		}
		switch p.Kind {
		case "inclusion":
			entry, err := base64.StdEncoding.DecodeString(p.Entry)
			if err != nil {
				fail("proof %d: entry is not base64", i)
			}
			if err := tlog.CheckRecord(tlog.RecordProof(hashes), size, root, p.Index, tlog.RecordHash(entry)); err != nil {
				fail("proof %d: inclusion of entry %d in tree %d: %v", i, p.Index, size, err)
			}
		case "consistency":
			if err := tlog.CheckTree(tlog.TreeProof(hashes), size, root, p.OldSize, hashOf(p.OldRoot)); err != nil {
				fail("proof %d: consistency %d -> %d: %v", i, p.OldSize, size, err)
			}
		default:
			fail("proof %d: unknown kind %q", i, p.Kind)
		}
	}
	out, _ := json.Marshal(map[string]interface{}{"ok": true, "origin": origin, "size": size, "root": root.String(), "signatures": len(n.Sigs), "proofs": len(in.Proofs)})
	fmt.Println(string(out))
}
