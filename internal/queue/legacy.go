package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// legacyCardsStream is where jobs lived before namespaces ("CARDS", subjects "cards.<lane>").
const legacyCardsStream = "CARDS"

// moveLegacyJobs moves the jobs still waiting in a pre-namespace CARDS stream into the default
// namespace's stream, so an upgrade strands no queued card, and then deletes the old stream.
func (q *Queue) moveLegacyJobs(ctx context.Context) error {
	if q.names.Namespace != DefaultNamespace {
		return nil
	}
	old, err := q.js.Stream(ctx, legacyCardsStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream %s of an earlier version: %w", legacyCardsStream, err)
	}
	info := old.CachedInfo()
	if !strings.HasPrefix(strings.Join(info.Config.Subjects, ","), "cards.") {
		return nil // somebody else's stream of that name
	}
	moved := 0
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := old.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("move job %d of stream %s: %w", seq, legacyCardsStream, err)
		}
		lane, ok := strings.CutPrefix(m.Subject, "cards.")
		if !ok {
			continue
		}
		msg := nats.NewMsg(q.names.JobSubject(lane))
		msg.Data = m.Data
		if id := m.Header.Get(jetstream.MsgIDHeader); id != "" {
			msg.Header.Set(jetstream.MsgIDHeader, id)
		}
		if err := q.signJob(msg); err != nil {
			q.log.Error("dropping a message of the old CARDS stream that is not a job", "seq", seq, "err", err)
		} else if _, err := q.js.PublishMsg(ctx, msg); err != nil {
			return fmt.Errorf("move job %d of stream %s: %w", seq, legacyCardsStream, err)
		}
		if err := old.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("move job %d of stream %s: %w", seq, legacyCardsStream, err)
		}
		moved++
	}
	if err := q.js.DeleteStream(ctx, legacyCardsStream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("delete stream %s of an earlier version: %w", legacyCardsStream, err)
	}
	q.log.Info("moved the queued jobs of an earlier version into the namespaced stream", "jobs", moved,
		"from", legacyCardsStream, "to", q.names.CardsStream)
	return nil
}
