package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/calendar"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/clock"
	"github.com/quillpost/quillpost/internal/store"
)

// OccasionScheduler queues the cards of occasion rules on their writing days. Each card is made
// once per rule, recipient and year: its idempotency key is "occasion/RULE/RECIPIENT/YEAR", unique
// per account in the cards table, so two schedulers (two serve processes) or a retried run can
// never make it twice; the occasion_sends table only spares re-rendering what was done.
type OccasionScheduler struct {
	Store   store.Store
	Clock   clock.Clock            // nil: the wall clock
	Transit *calendar.TransitTable // nil: calendar.DefaultTransit
	Log     *slog.Logger
	// OnQueued, if set, is called after a run queued cards (to wake the outbox relay).
	OnQueued func()
}

// OccasionResult counts one run.
type OccasionResult struct {
	Queued  int // cards made
	Late    int // writing days that had passed beyond posting in time: no card that year
	Skipped int // recipients without a usable date or whose card cannot be made (logged)
}

// Run runs RunOnce every interval of the clock until ctx ends.
func (o *OccasionScheduler) Run(ctx context.Context, interval time.Duration) error {
	clk := clock.Or(o.Clock)
	for {
		if _, err := o.RunOnce(ctx); err != nil && ctx.Err() == nil {
			o.log().Warn("occasions: run failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-clk.After(interval):
		}
	}
}

func (o *OccasionScheduler) log() *slog.Logger {
	if o.Log == nil {
		return slog.Default()
	}
	return o.Log
}

// RunOnce goes through every active rule and queues the cards whose writing day is today (by
// the clock, in UTC). A card whose writing day passed while nothing ran is still made as long as
// it can be posted in time (up to its posting day); after that the year is skipped, since a
// birthday card that arrives after the birthday is not what the rule asked for.
func (o *OccasionScheduler) RunOnce(ctx context.Context) (OccasionResult, error) {
	var res OccasionResult
	os, ok := o.Store.(store.OccasionStore)
	if !ok {
		return res, nil
	}
	today := calendar.DateOf(clock.Or(o.Clock).Now().UTC())
	transit := o.Transit
	if transit == nil {
		transit = calendar.DefaultTransit()
	}
	var failed error
	f := store.OccasionFilter{State: store.RuleActive, Limit: 500}
	for {
		rules, next, err := os.ListOccasionRules(ctx, store.AnyAccount, f)
		if err != nil {
			return res, err
		}
		for _, rule := range rules {
			// One rule's trouble (its rows, a holiday table gone) must not keep the other rules'
			// cards from their writing days: it is logged, and reported when the run ends.
			if err := o.runRule(ctx, os, rule, today, transit, &res); err != nil {
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				o.log().Warn("occasions: rule failed; the others go on", "rule", rule.ID, "err", err)
				failed = errors.Join(failed, fmt.Errorf("occasion rule %s: %w", rule.ID, err))
			}
		}
		if next == "" {
			break
		}
		f.After = next
	}
	if res.Queued > 0 && o.OnQueued != nil {
		o.OnQueued()
	}
	return res, failed
}

func (o *OccasionScheduler) runRule(ctx context.Context, os store.OccasionStore, rule *store.OccasionRule, today calendar.Date,
	transit *calendar.TransitTable, res *OccasionResult) error {
	var spec occasionSpec
	if err := json.Unmarshal(rule.Spec, &spec); err != nil {
		return err
	}
	cal, err := calendar.New(spec.SenderCountry, spec.SenderRegion)
	if err != nil {
		return err
	}
	tpl, err := parseTemplate(spec.Template)
	if err != nil {
		return err
	}
	// A writing day lies at most a few weeks before its date, so this year's and next year's
	// occurrences are all that can be due today.
	years := []int{today.Year, today.Year + 1}
	sends := map[int]map[string]store.OccasionSend{}
	for _, y := range years {
		if sends[y], err = os.OccasionSends(ctx, rule.ID, y); err != nil {
			return err
		}
	}
	test := rule.Test
	f := store.OccasionFilter{Test: &test, Limit: 1000}
	for {
		recs, next, err := os.ListOccasionRecipients(ctx, rule.AccountID, f)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			raw, ok := rec.Dates[rule.Occasion]
			if !ok {
				continue
			}
			date, err := calendar.ParseDate(raw)
			if err != nil {
				res.Skipped++
				continue
			}
			var to address.Address
			if err := json.Unmarshal(rec.To, &to); err != nil {
				res.Skipped++
				continue
			}
			for _, y := range years {
				if date.Year != 0 && y <= date.Year {
					continue // the first birthday or anniversary is a year after the date itself
				}
				if _, done := sends[y][rec.ID]; done {
					continue
				}
				occ, plan := planOccasion(cal, transit, rule, &spec, date, to.Country, y)
				if today.Before(plan.WriteOn) {
					continue
				}
				if today.After(plan.PostOn) {
					res.Late++
					continue
				}
				queued, err := o.queue(ctx, os, rule, &spec, tpl, rec, to, occ, plan)
				if err != nil {
					return err
				}
				if queued {
					res.Queued++
				} else {
					res.Skipped++
				}
			}
		}
		if next == "" {
			return nil
		}
		f.After = next
	}
}

// queue makes the card of one occurrence and notes it. A recipient whose card cannot be written
// (a merge variable missing, a character the face lacks) is logged and skipped: nobody is there
// to answer a validation error, and the next import may fix it.
func (o *OccasionScheduler) queue(ctx context.Context, os store.OccasionStore, rule *store.OccasionRule, spec *occasionSpec, tpl *template,
	rec *store.OccasionRecipient, to address.Address, occ calendar.Date, plan calendar.Plan) (bool, error) {
	logSkip := func(why string) (bool, error) {
		o.log().Warn("occasions: card not made", "rule", rule.ID, "recipient", rec.ID, "occasion_date", occ.String(), "why", why)
		return false, nil
	}
	vars := map[string]string{}
	if date, err := calendar.ParseDate(rec.Dates[rule.Occasion]); err == nil && date.Year != 0 {
		// How many years: the age on a birthday, the years as a customer on customer_since.
		vars["years"] = fmt.Sprint(occ.Year - date.Year)
	}
	for k, v := range rec.Variables {
		vars[k] = v
	}
	msg, me := tpl.merge(vars, spec.RequiredVariables)
	if me != nil {
		return logSkip(me.Reason)
	}
	seed := newSeed()
	cs := cardspec.Spec{Message: msg, Font: spec.Font, Hand: spec.Hand, Stock: spec.Stock, Align: spec.Align, Seed: seed}.WithDefaults()
	card, err := cardspec.Render(cs)
	if err != nil {
		return logSkip(renderError(err).Message)
	}
	meta := map[string]string{}
	for k, v := range spec.Metadata {
		meta[k] = v
	}
	for k, v := range rec.Metadata {
		meta[k] = v
	}
	if rec.Email != "" {
		meta["email"] = rec.Email
	}
	meta[metaOccasionRule], meta[metaOccasionRecipient], meta[metaOccasion], meta[metaOccasionDate] = rule.ID, rec.ID, rule.Occasion, occ.String()
	if aerr := checkMetadata(meta); aerr != nil {
		return logSkip(aerr.Message)
	}
	var from json.RawMessage
	if spec.From != nil {
		from = jsonObject(spec.From)
	}
	key := fmt.Sprintf("occasion/%s/%s/%d", rule.ID, rec.ID, occ.Year)
	c, err := o.Store.CreateCard(ctx, store.NewCard{
		AccountID: rule.AccountID, IdempotencyKey: key, RequestHash: key, Test: rule.Test,
		Message: msg, Font: cs.Font, Hand: cs.Hand, Stock: cs.Stock, Format: card.Format.Name, Align: cs.Align,
		Seed: seed, StrokeHash: card.Hash(), RenderVersion: cardspec.RenderVersion, To: jsonObject(address.Normalize(to)), From: from, Metadata: meta,
		Note: fmt.Sprintf("occasion %s on %s: to arrive by %s, posted %s", rule.Occasion, occ, plan.ArriveBy, plan.PostOn),
	})
	fresh := err == nil
	if errors.Is(err, store.ErrDuplicate) && c != nil {
		err = nil // another scheduler made it, or this one before a crash: note it and go on
	}
	if err != nil {
		return false, err
	}
	err = os.RecordOccasionSend(ctx, store.OccasionSend{RuleID: rule.ID, RecipientID: rec.ID, Year: occ.Year, CardID: c.ID, WriteOn: plan.WriteOn.String()})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		return false, err
	}
	if fresh {
		// Deleted or erased while this run read it: the deletion's cancellation may have run
		// before the card existed, so the card is cancelled here.
		if _, err := os.GetOccasionRecipient(ctx, rule.AccountID, rec.ID); errors.Is(err, store.ErrNotFound) {
			_, err := o.Store.Transition(ctx, store.Change{CardID: c.ID, AccountID: rule.AccountID, To: store.StatusCancelled, Cause: "occasion.recipient_deleted"})
			return false, err
		}
		o.log().Info("occasion card queued", "card", c.ID, "rule", rule.ID, "recipient", rec.ID, "occasion_date", occ.String(), "post_on", plan.PostOn.String())
	}
	return fresh, nil
}

// planOccasion plans the card of one occurrence: the date in year y, to arrive DaysBefore days
// earlier, posted from the sender's country to the recipient's.
func planOccasion(cal *calendar.Calendar, transit *calendar.TransitTable, rule *store.OccasionRule, spec *occasionSpec,
	date calendar.Date, country string, y int) (calendar.Date, calendar.Plan) {
	occ := date.InYear(y)
	return occ, cal.PlanArrival(occ.AddDays(-rule.DaysBefore), transit.Lookup(spec.SenderCountry, country))
}
