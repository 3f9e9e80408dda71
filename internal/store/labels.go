package store

import (
	"context"
	"encoding/json"
	"time"
)

// Label is the address label of a written card: recorded by Transition in the same transaction
// that records the card written, so a written card always has one. The address is read from the
// card (so erasing the card erases the label too).
type Label struct {
	Seq       int64           // the order cards were recorded written, across robots
	CardID    string          //
	Robot     string          // the robot that wrote the card: its sheet gets the label
	Attempt   int             //
	WrittenAt time.Time       //
	Sheet     string          // "" while on the robot's open sheet
	Printed   bool            // the sheet's PDF was written
	To        json.RawMessage // the card's recipient address
}

// LabelStore keeps the labels and which sheet each went on. A robot's sheet is built from its open
// labels in writing order: name the sheet (AssignSheet), write its PDF, then MarkSheetPrinted. After a
// crash, UnprintedSheets are written again from SheetLabels (same labels, same order) and the open
// labels start the next sheet: every written card is on exactly one sheet.
type LabelStore interface {
	// OpenLabels returns up to limit labels of the robot not yet on a sheet, in writing order.
	OpenLabels(ctx context.Context, robot string, limit int) ([]Label, error)
	// AssignSheet puts the given open labels of the robot on the named sheet, all or none
	// (ErrConflict if one is no longer open).
	AssignSheet(ctx context.Context, robot, sheet string, cardIDs []string) error
	// SheetLabels returns a sheet's labels in writing order.
	SheetLabels(ctx context.Context, sheet string) ([]Label, error)
	// UnprintedSheets names the robot's sheets whose PDF was not yet recorded as written.
	UnprintedSheets(ctx context.Context, robot string) ([]string, error)
	MarkSheetPrinted(ctx context.Context, sheet string) error
}
