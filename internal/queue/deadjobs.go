package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/quillpost/quillpost/internal/store"
)

// DeadJob is a job JetStream gave up on: delivered MaxDeliver times without an ack (its workers
// crashed or kept Nak-ing it). Its card must become failed and wait for an operator.
type DeadJob struct {
	Job        store.Job
	Lane       string
	StreamSeq  uint64
	Deliveries int
}

// maxDeliveriesAdvisory is the part of JetStream's advisory we read.
type maxDeliveriesAdvisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// deadJobsGroup is the queue group of WatchDeadJobs: with several processes watching, each advisory
// is handled once.
const deadJobsGroup = "quillpost-dead-jobs"

// WatchDeadJobs handles JetStream's MAX_DELIVERIES advisories for the CARDS stream until ctx ends
// (then it returns nil). For each, it reads the job from the stream and calls fn (which typically
// runs store.FailJob); when fn returns nil the message is deleted from the stream, since a work
// queue would otherwise keep it forever. Advisories are plain NATS messages: one published while no
// watcher runs is lost, which is why workers also check Delivery.LastDelivery.
func (q *Queue) WatchDeadJobs(ctx context.Context, fn func(context.Context, DeadJob) error) error {
	ch := make(chan *nats.Msg, 64)
	subj := "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + q.names.CardsStream + ".*"
	sub, err := q.nc.ChanQueueSubscribe(subj, deadJobsGroup, ch)
	if err != nil {
		return fmt.Errorf("watch dead jobs: %w", err)
	}
	defer sub.Unsubscribe()
	// FlushWithContext needs a deadline; the watcher's own context usually has none.
	fctx, fcancel := context.WithTimeout(ctx, 10*time.Second)
	err = q.nc.FlushWithContext(fctx)
	fcancel()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("watch dead jobs: %w", err)
	}
	stream, err := q.js.Stream(ctx, q.names.CardsStream)
	if err != nil {
		return fmt.Errorf("watch dead jobs: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			if err := q.handleDeadJob(ctx, stream, m, fn); err != nil && ctx.Err() == nil {
				q.log.Error("dead job not handled", "err", err)
			}
		}
	}
}

func (q *Queue) handleDeadJob(ctx context.Context, stream jetstream.Stream, m *nats.Msg, fn func(context.Context, DeadJob) error) error {
	var adv maxDeliveriesAdvisory
	if err := json.Unmarshal(m.Data, &adv); err != nil {
		return fmt.Errorf("max deliveries advisory: %w", err)
	}
	lane, ok := strings.CutPrefix(adv.Consumer, "worker-")
	if !ok {
		lane, ok = strings.CutPrefix(adv.Consumer, "retry-")
	}
	if !ok || adv.Stream != q.names.CardsStream {
		return nil // another consumer's business
	}
	raw, err := stream.GetMsg(ctx, adv.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // acked or handled meanwhile
	}
	if err != nil {
		return fmt.Errorf("dead job at sequence %d: %w", adv.StreamSeq, err)
	}
	var job store.Job
	if err := json.Unmarshal(raw.Data, &job); err != nil {
		return fmt.Errorf("dead job at sequence %d: %w", adv.StreamSeq, err)
	}
	dj := DeadJob{Job: job, Lane: lane, StreamSeq: adv.StreamSeq, Deliveries: int(adv.Deliveries)}
	if err := fn(ctx, dj); err != nil {
		return fmt.Errorf("dead job %s: %w", job.MsgID(), err)
	}
	if err := stream.DeleteMsg(ctx, adv.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("delete dead job %s: %w", job.MsgID(), err)
	}
	return nil
}
