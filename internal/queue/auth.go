package queue

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/quillpost/quillpost/internal/fsutil"
	"github.com/quillpost/quillpost/internal/store"
)

// The embedded server admits only known NKeys. Its directory holds (all 0600):
//
//	serve.nk     the seed of serve's own identity, with every right
//	robots.json  each robot's public key, namespace and lanes, written by 'quillpost keys worker'
//
// A robot's rights (RobotPermissions) let it pull its lanes' jobs and nothing else: it cannot read
// another lane, another robot's subjects, the events, or the deployment's settings, and the card
// service answers it only about jobs it was given (see JobToken).

const (
	serveSeedFile = "serve.nk"
	robotsFile    = "robots.json"
)

// Robot is one entry of robots.json: a worker's identity on the embedded server.
type Robot struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Lanes     []string `json:"lanes"`
	PublicKey string   `json:"public_key"`
}

// Validate checks a robot's name, namespace and lanes.
func (r Robot) Validate() error {
	if err := validWorkerName(r.Name); err != nil {
		return err
	}
	if err := ValidateNamespace(r.Namespace); err != nil {
		return err
	}
	if len(r.Lanes) == 0 {
		return fmt.Errorf("robot %s: at least one lane is required", r.Name)
	}
	for _, l := range r.Lanes {
		if err := store.ValidateLane(l); err != nil {
			return fmt.Errorf("robot %s: %w", r.Name, err)
		}
	}
	return nil
}

// RobotPermissions are the NATS rights of a robot's credentials: pull and acknowledge its lanes'
// and requeued jobs (creating a lane's consumers if it is the first robot of the lane), its own heartbeat and
// identity keys, its own card-service subjects, its own control subject and its own inbox.
func RobotPermissions(ns, robot string, lanes []string) *server.Permissions {
	n := NamesFor(ns)
	pub := []string{
		"$JS.API.STREAM.INFO.KV_" + n.WorkersBucket,
		"$JS.API.STREAM.INFO.KV_" + n.RobotsBucket,
		"$KV." + n.WorkersBucket + "." + robot,
		"$KV." + n.RobotsBucket + "." + robot,
		"$JS.API.DIRECT.GET.KV_" + n.RobotsBucket + ".$KV." + n.RobotsBucket + "." + robot,
		n.RPCSubject(robot, "*"),
		n.RPCSubject(robot, "labels.*"), // its address sheets
	}
	for _, l := range lanes {
		// Each lane has two consumers: first attempts and requeued jobs (drained first).
		for _, c := range []struct{ name, subject string }{
			{ConsumerName(l), n.JobSubject(l)},
			{RetryConsumerName(l), n.RetrySubject(l)},
		} {
			pub = append(pub,
				"$JS.API.CONSUMER.INFO."+n.CardsStream+"."+c.name,
				"$JS.API.CONSUMER.CREATE."+n.CardsStream+"."+c.name+"."+c.subject,
				"$JS.API.CONSUMER.MSG.NEXT."+n.CardsStream+"."+c.name,
				"$JS.ACK."+n.CardsStream+"."+c.name+".>",
			)
		}
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: []string{n.InboxPrefix(robot) + ".>", n.ControlSubject(robot)}},
		// Replies to operator commands go to the asker's inbox.
		Response: &server.ResponsePermission{MaxMsgs: 1, Expires: server.DEFAULT_ALLOW_RESPONSE_EXPIRATION},
	}
}

// ReadRobots reads the robots registered in an embedded server's directory.
func ReadRobots(dir string) ([]Robot, error) {
	b, err := os.ReadFile(filepath.Join(dir, robotsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("robot credentials: %w", err)
	}
	var rs []Robot
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("robot credentials %s: %w", filepath.Join(dir, robotsFile), err)
	}
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("robot credentials %s: %w", filepath.Join(dir, robotsFile), err)
		}
		if !nkeys.IsValidPublicUserKey(r.PublicKey) {
			return nil, fmt.Errorf("robot credentials %s: robot %s has no valid public key", filepath.Join(dir, robotsFile), r.Name)
		}
	}
	return rs, nil
}

var robotsMu sync.Mutex

// RegisterRobot gives a robot a new NKey in an embedded server's directory (replacing, and so
// revoking, any key it had) and returns the credentials file's content: the seed, which only the
// robot keeps. A running server picks the change up within seconds.
func RegisterRobot(dir string, r Robot) ([]byte, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, err
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, err
	}
	if r.PublicKey, err = kp.PublicKey(); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	robotsMu.Lock()
	defer robotsMu.Unlock()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("robot credentials: %w", err)
	}
	rs, err := ReadRobots(dir)
	if err != nil {
		return nil, err
	}
	rs = slices.DeleteFunc(rs, func(o Robot) bool { return o.Name == r.Name && o.Namespace == r.Namespace })
	rs = append(rs, r)
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, robotsFile), b); err != nil {
		return nil, fmt.Errorf("robot credentials: %w", err)
	}
	creds := fmt.Sprintf("# quillpost robot %s (namespace %s, lanes %v). Keep this file secret.\n"+
		"-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n", r.Name, r.Namespace, r.Lanes, seed)
	return []byte(creds), nil
}

// serveKey loads serve's NKey from dir, creating it on the first start.
func serveKey(dir string) (nkeys.KeyPair, error) {
	path := filepath.Join(dir, serveSeedFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return nil, err
		}
		seed, err := kp.Seed()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := fsutil.WriteFileAtomic(path, append(seed, '\n')); err != nil {
			return nil, fmt.Errorf("NATS identity of serve: %w", err)
		}
		return kp, nil
	}
	if err != nil {
		return nil, fmt.Errorf("NATS identity of serve: %w", err)
	}
	kp, err := nkeys.ParseDecoratedNKey(b)
	if err != nil {
		return nil, fmt.Errorf("NATS identity of serve in %s: %w", path, err)
	}
	return kp, nil
}

// JobTokenHeader carries a job's token: proof, to the card service, that a robot was given the
// job. Whoever publishes a job (the outbox relay) sets it with Queue.JobHeader.
const JobTokenHeader = "Quillpost-Job-Token"

// jobToken is HMAC-SHA256 over the namespace, card id and attempt.
func jobToken(key []byte, ns string, job store.Job) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ns + "\n" + job.CardID + "\n" + strconv.Itoa(job.Attempt)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// JobToken signs a job; "" on a queue that does not manage the deployment (it has no key).
func (q *Queue) JobToken(job store.Job) string {
	if q.jobKey == nil {
		return ""
	}
	return jobToken(q.jobKey, q.names.Namespace, job)
}

func (q *Queue) validToken(job store.Job, token string) bool {
	return q.jobKey != nil && token != "" && hmac.Equal([]byte(jobToken(q.jobKey, q.names.Namespace, job)), []byte(token))
}

// tokenBook remembers the tokens of the jobs this process holds, so RemoteCards can show them.
type tokenBook struct {
	mu sync.Mutex
	m  map[string]heldJob // by card id
}

type heldJob struct {
	attempt int
	token   string
}

func (b *tokenBook) put(job store.Job, token string) {
	if token == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]heldJob{}
	}
	b.m[job.CardID] = heldJob{job.Attempt, token}
}

func (b *tokenBook) get(cardID string) (heldJob, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.m[cardID]
	return h, ok
}

func (b *tokenBook) drop(job store.Job) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h, ok := b.m[job.CardID]; ok && h.attempt == job.Attempt {
		delete(b.m, job.CardID)
	}
}

// signJob sets the token header of a job message.
func (q *Queue) signJob(msg *nats.Msg) error {
	var job store.Job
	if err := json.Unmarshal(msg.Data, &job); err != nil {
		return fmt.Errorf("job payload: %w", err)
	}
	if t := q.JobToken(job); t != "" {
		msg.Header.Set(JobTokenHeader, t)
	}
	return nil
}
