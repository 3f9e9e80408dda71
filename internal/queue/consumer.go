package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/quillpost/quillpost/internal/store"
)

// retryPoll bounds how long Next waits on the lane's first attempts before looking at its
// requeued jobs again, so an idle robot picks up a requeued card within about this time.
const retryPoll = 2 * time.Second

// Consumer pulls one lane's jobs through its durable consumers "worker-<lane>" (first attempts)
// and "retry-<lane>" (requeued jobs, taken first). Every worker of the lane shares them, so each
// job goes to exactly one of them at a time.
type Consumer struct {
	q     *Queue
	lane  string
	c     jetstream.Consumer
	retry jetstream.Consumer
}

// Consumer returns the lane's durable pull consumers (first attempts and requeued jobs): explicit acks, the queue's AckWait and
// MaxDeliver, all jobs of the lane from the start of the stream. The deployment (Options.Manage)
// creates or updates it; a worker binds to it, creating it only if it does not exist yet, so a
// worker never changes its settings. Transient trouble (JetStream not ready, the deployment not
// started yet) is retried with backoff until ctx ends.
func (q *Queue) Consumer(ctx context.Context, lane string) (*Consumer, error) {
	if err := store.ValidateLane(lane); err != nil {
		return nil, err
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       ConsumerName(lane),
		Description:   "plotter workers for lane " + lane,
		FilterSubject: q.names.JobSubject(lane),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.o.AckWait,
		MaxDeliver:    q.o.MaxDeliver,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	}
	c, err := q.openConsumer(ctx, lane, cfg)
	if err != nil {
		return nil, err
	}
	rcfg := cfg
	rcfg.Durable = RetryConsumerName(lane)
	rcfg.Description = "plotter workers for requeued jobs of lane " + lane
	rcfg.FilterSubject = q.names.RetrySubject(lane)
	r, err := q.openConsumer(ctx, lane, rcfg)
	if err != nil {
		return nil, err
	}
	return &Consumer{q: q, lane: lane, c: c, retry: r}, nil
}

// openConsumer opens one of a lane's durable consumers: the deployment creates or updates it, a
// worker binds to it and creates it only if it is missing, so a worker never changes its settings.
func (q *Queue) openConsumer(ctx context.Context, lane string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	var c jetstream.Consumer
	err := retry(ctx, q.log, "opening consumer "+cfg.Durable+" of lane "+lane+" in stream "+q.names.CardsStream, func(ctx context.Context) error {
		var err error
		if q.o.Manage {
			c, err = q.js.CreateOrUpdateConsumer(ctx, q.names.CardsStream, cfg)
		} else {
			c, err = q.js.Consumer(ctx, q.names.CardsStream, cfg.Durable)
			if errors.Is(err, jetstream.ErrConsumerNotFound) {
				c, err = q.js.CreateConsumer(ctx, q.names.CardsStream, cfg)
				if errors.Is(err, jetstream.ErrConsumerExists) { // another worker was quicker
					c, err = q.js.Consumer(ctx, q.names.CardsStream, cfg.Durable)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("consumer %s for lane %s: %w", cfg.Durable, lane, err)
		}
		return nil
	})
	return c, err
}

// Lane returns the consumer's lane.
func (c *Consumer) Lane() string { return c.lane }

// Next blocks until a job arrives or ctx ends (then it returns ctx.Err()). Other errors are
// connection trouble: wait a little and call again. A message that is not a job is terminated
// and skipped.
func (c *Consumer) Next(ctx context.Context) (*Delivery, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 10*time.Millisecond {
			// Too little time for a pull request (the client refuses an expired one).
			<-ctx.Done()
			return nil, ctx.Err()
		}
		if d := c.nextRetry(); d != nil {
			return d, nil
		}
		pctx, cancel := context.WithTimeout(ctx, retryPoll)
		msg, err := c.c.Next(jetstream.FetchContext(pctx))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoHeartbeat) {
				continue
			}
			return nil, fmt.Errorf("next job on lane %s: %w", c.lane, err)
		}
		d, err := c.q.delivery(msg)
		if err != nil {
			c.q.log.Error("dropping a malformed job message", "lane", c.lane, "subject", msg.Subject(), "err", err)
			_ = msg.Term()
			continue
		}
		return d, nil
	}
}

// nextRetry returns a requeued job of the lane if one is waiting, without waiting for one.
// Trouble here shows up again on the lane's main pull, which reports it.
func (c *Consumer) nextRetry() *Delivery {
	batch, err := c.retry.FetchNoWait(1)
	if err != nil {
		return nil
	}
	for msg := range batch.Messages() {
		d, err := c.q.delivery(msg)
		if err != nil {
			c.q.log.Error("dropping a malformed job message", "lane", c.lane, "subject", msg.Subject(), "err", err)
			_ = msg.Term()
			continue
		}
		return d
	}
	return nil
}

func (q *Queue) delivery(msg jetstream.Msg) (*Delivery, error) {
	var job store.Job
	if err := json.Unmarshal(msg.Data(), &job); err != nil {
		return nil, fmt.Errorf("job payload: %w", err)
	}
	if !store.ValidID(store.PrefixCard, job.CardID) || job.Attempt < 1 {
		return nil, fmt.Errorf("job payload %q: no card id or attempt", msg.Data())
	}
	meta, err := msg.Metadata()
	if err != nil {
		return nil, fmt.Errorf("job metadata: %w", err)
	}
	// The token lets RemoteCards prove to the card service that this job was given to us.
	q.tokens.put(job, msg.Headers().Get(JobTokenHeader))
	return &Delivery{Job: job, Delivered: int(meta.NumDelivered), StreamSeq: meta.Sequence.Stream,
		LastDelivery: int(meta.NumDelivered) >= q.o.MaxDeliver, msg: msg, ackWait: q.o.AckWait, q: q}, nil
}

// Delivery is one delivery of a job to a worker. The worker ends it with exactly one of Ack, Nak or
// Term; until then it must call InProgress (or run KeepAlive) at least once per AckWait, or the
// job is given to another worker.
type Delivery struct {
	Job store.Job
	// Delivered counts deliveries of this message, 1 the first time. Above 1 the job came back:
	// after a Nak, or because its previous holder stopped signalling progress. Pass
	// Redelivered() to store.Claim.
	Delivered int
	// LastDelivery: this is delivery MaxDeliver; JetStream will not deliver the job again. A
	// worker that cannot finish it (a transient error it would otherwise Nak) fails the card
	// (store.FailJob) and Terms the message instead, so the card does not wait silently.
	LastDelivery bool
	StreamSeq    uint64

	msg     jetstream.Msg
	ackWait time.Duration
	q       *Queue
}

// Redelivered reports whether the job was delivered before.
func (d *Delivery) Redelivered() bool { return d.Delivered > 1 }

// Ack removes the job from the queue, waiting for the server's confirmation (a lost ack would
// redeliver a finished job, which store.Claim would then drop as stale, but confirmed is cleaner).
func (d *Delivery) Ack(ctx context.Context) error {
	if err := d.msg.DoubleAck(ctx); err != nil {
		return fmt.Errorf("ack job %s: %w", d.Job.MsgID(), err)
	}
	d.q.tokens.drop(d.Job)
	return nil
}

// Nak returns the job to the queue to be delivered again after delay (0: at once).
func (d *Delivery) Nak(delay time.Duration) error {
	var err error
	if delay > 0 {
		err = d.msg.NakWithDelay(delay)
	} else {
		err = d.msg.Nak()
	}
	if err != nil {
		return fmt.Errorf("nak job %s: %w", d.Job.MsgID(), err)
	}
	d.q.tokens.drop(d.Job)
	return nil
}

// Term removes the job from the queue without success: it is never delivered again.
func (d *Delivery) Term() error {
	if err := d.msg.Term(); err != nil {
		return fmt.Errorf("term job %s: %w", d.Job.MsgID(), err)
	}
	d.q.tokens.drop(d.Job)
	return nil
}

// InProgress tells JetStream the worker still holds the job, restarting its AckWait.
func (d *Delivery) InProgress() error {
	if err := d.msg.InProgress(); err != nil {
		return fmt.Errorf("in-progress job %s: %w", d.Job.MsgID(), err)
	}
	return nil
}

// KeepAlive signals progress every third of AckWait until stop is called or ctx ends, so a long
// plot keeps its job. stop waits for the signalling goroutine to end.
func (d *Delivery) KeepAlive(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(max(d.ackWait/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = d.msg.InProgress() // a failure here shows up as a redelivery; nothing better to do
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// Depth is the work waiting in a lane.
type Depth struct {
	Lane     string `json:"lane"`
	Pending  int    `json:"pending"`   // jobs not yet delivered
	InFlight int    `json:"in_flight"` // delivered jobs not yet acknowledged
}

// Total is Pending + InFlight.
func (d Depth) Total() int { return d.Pending + d.InFlight }

// Depth returns a lane's queue depth. A lane without a consumer yet counts its stored jobs as
// pending.
func (q *Queue) Depth(ctx context.Context, lane string) (Depth, error) {
	if err := store.ValidateLane(lane); err != nil {
		return Depth{}, err
	}
	c, err := q.js.Consumer(ctx, q.names.CardsStream, ConsumerName(lane))
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		s, err := q.js.Stream(ctx, q.names.CardsStream)
		if err != nil {
			return Depth{}, fmt.Errorf("depth of lane %s: %w", lane, err)
		}
		info, err := s.Info(ctx, jetstream.WithSubjectFilter(q.names.JobSubject(lane)))
		if err != nil {
			return Depth{}, fmt.Errorf("depth of lane %s: %w", lane, err)
		}
		return Depth{Lane: lane, Pending: int(info.State.Subjects[q.names.JobSubject(lane)])}, nil
	}
	if err != nil {
		return Depth{}, fmt.Errorf("depth of lane %s: %w", lane, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return Depth{}, fmt.Errorf("depth of lane %s: %w", lane, err)
	}
	d := Depth{Lane: lane, Pending: int(info.NumPending), InFlight: info.NumAckPending}
	if rc, err := q.js.Consumer(ctx, q.names.CardsStream, RetryConsumerName(lane)); err == nil {
		ri, err := rc.Info(ctx)
		if err != nil {
			return Depth{}, fmt.Errorf("depth of lane %s: %w", lane, err)
		}
		d.Pending += int(ri.NumPending)
		d.InFlight += ri.NumAckPending
	}
	return d, nil
}

// Depths returns the depth of every lane that has a consumer, sorted by lane.
func (q *Queue) Depths(ctx context.Context) ([]Depth, error) {
	s, err := q.js.Stream(ctx, q.names.CardsStream)
	if err != nil {
		return nil, fmt.Errorf("queue depths: %w", err)
	}
	byLane := map[string]*Depth{}
	infos := s.ListConsumers(ctx)
	for info := range infos.Info() {
		lane, ok := strings.CutPrefix(info.Name, "worker-")
		if !ok {
			lane, ok = strings.CutPrefix(info.Name, "retry-")
		}
		if !ok {
			continue
		}
		d := byLane[lane]
		if d == nil {
			d = &Depth{Lane: lane}
			byLane[lane] = d
		}
		d.Pending += int(info.NumPending)
		d.InFlight += info.NumAckPending
	}
	if err := infos.Err(); err != nil {
		return nil, fmt.Errorf("queue depths: %w", err)
	}
	out := make([]Depth, 0, len(byLane))
	for _, d := range byLane {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b Depth) int { return strings.Compare(a.Lane, b.Lane) })
	return out, nil
}
