package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/fsutil"
	"github.com/quillpost/quillpost/internal/program"
	"github.com/quillpost/quillpost/internal/store"
)

// The kinds of outcome a worker records for a job it claimed.
const (
	outcomeWritten     = "written"     // the robot finished the card
	outcomeSpoiled     = "spoiled"     // a fault mid-card: the blank is discarded
	outcomeReleased    = "released"    // shutdown before the pen touched the card
	outcomeUnplottable = "unplottable" // the card cannot be written by this robot at all
	// The renderer no longer draws the approved proof: the card is held for the new proof's
	// approval, before any blank was asked for.
	outcomeProofChanged = "proof-changed"
)

// outcome is what became of a claimed job, kept in the journal until the store has it.
type outcome struct {
	Job       store.Job `json:"job"`
	Kind      string    `json:"kind"`
	Detail    string    `json:"detail,omitempty"`
	PenDownMM float64   `json:"pen_down_mm,omitempty"`
	At        time.Time `json:"at"`
	// prog is the program written, for OnWritten; nil for an outcome read back from disk.
	prog *program.Program
}

// journal keeps outcomes on the worker's own disk until the store recorded them, so that a NATS or
// database outage, or a crash of the worker itself, never loses what the robot did: a written card
// is recorded written when the connection is back (or at the next start), not spoiled and written
// again. One small file per outcome, made durable before the outcome is acted on (nothing is
// recorded or acked before it). Each file is written atomically (fsutil.WriteFileAtomic), so
// a crash leaves either no file or a whole one; a file that still does not parse (a disk error) is
// set aside. The files and their directory are the owner's only, as every file quillpost keeps.
// With no directory the journal lives in memory only and survives outages, not crashes.
type journal struct {
	dir string
	mu  sync.Mutex
	mem map[store.Job]outcome
}

func openJournal(dir string) (*journal, error) {
	j := &journal{dir: dir, mem: map[store.Job]outcome{}}
	if dir == "" {
		return j, nil
	}
	if err := os.MkdirAll(dir, fsutil.PrivateDir); err != nil {
		return nil, fmt.Errorf("outcome journal: %w", err)
	}
	return j, nil
}

func (j *journal) file(job store.Job) string {
	return filepath.Join(j.dir, job.CardID+"-"+strconv.Itoa(job.Attempt)+".json")
}

// put stores the outcome durably before anything else is told about it.
func (j *journal) put(o outcome) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mem[o.Job] = o
	if j.dir == "" {
		return nil
	}
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("outcome journal: %w", err)
	}
	if err := fsutil.WriteFileAtomic(j.file(o.Job), b); err != nil {
		return fmt.Errorf("outcome journal: %w", err)
	}
	return nil
}

// remove forgets an outcome the store has recorded (or refused for good).
func (j *journal) remove(job store.Job) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.mem, job)
	if j.dir == "" {
		return nil
	}
	if err := os.Remove(j.file(job)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("outcome journal: %w", err)
	}
	return nil
}

// pending lists the outcomes not yet recorded, oldest first: those of this process and those a
// crashed predecessor left on disk. Torn files are renamed to .bad and named in setAside.
func (j *journal) pending() (list []outcome, setAside []string, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make(map[store.Job]outcome, len(j.mem))
	for k, o := range j.mem {
		out[k] = o
	}
	if j.dir != "" {
		entries, err := os.ReadDir(j.dir)
		if err != nil {
			return nil, nil, fmt.Errorf("outcome journal: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			path := filepath.Join(j.dir, e.Name())
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, nil, fmt.Errorf("outcome journal: %w", err)
			}
			o, err := parseOutcome(b)
			if err != nil {
				if rerr := os.Rename(path, path+".bad"); rerr != nil {
					return nil, nil, fmt.Errorf("outcome journal: %w", rerr)
				}
				setAside = append(setAside, fmt.Sprintf("%s: %v", e.Name(), err))
				continue
			}
			out[o.Job] = o
		}
	}
	list = make([]outcome, 0, len(out))
	for _, o := range out {
		list = append(list, o)
	}
	slices.SortFunc(list, func(a, b outcome) int { return a.At.Compare(b.At) })
	return list, setAside, nil
}

// parseOutcome reads one journal file, refusing anything that is not a complete outcome.
func parseOutcome(b []byte) (outcome, error) {
	var o outcome
	if err := json.Unmarshal(b, &o); err != nil {
		return o, fmt.Errorf("unreadable outcome: %w", err)
	}
	if !store.ValidID(store.PrefixCard, o.Job.CardID) || o.Job.Attempt < 1 {
		return o, fmt.Errorf("outcome without a card id or attempt")
	}
	switch o.Kind {
	case outcomeWritten, outcomeSpoiled, outcomeReleased, outcomeUnplottable, outcomeProofChanged:
	default:
		return o, fmt.Errorf("unknown outcome kind %q", o.Kind)
	}
	return o, nil
}
