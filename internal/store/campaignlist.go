package store

import "context"

// CampaignFilter selects campaigns for ListCampaigns. Zero fields do not filter.
type CampaignFilter struct {
	State string
	After string // cursor: the last id of the previous page; pages come newest first
	Limit int    // default 100, at most 1000
}

// CampaignLister lists an account's campaigns (a CRM managing them).
type CampaignLister interface {
	ListCampaigns(ctx context.Context, accountID string, f CampaignFilter) ([]*Campaign, string, error)
}
