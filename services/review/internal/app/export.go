package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"time"

	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// ExportHeader is the export's header row.
var ExportHeader = []string{
	"item_id", "user_id", "user_email", "user_name", "app_id", "app_name", "permission", "grant_time",
	"reviewer_ids", "status", "decision", "new_permission", "decided_by", "decide_time", "justification",
	"request_id", "request_status", "blocked_reason",
}

// exportPage is how many items each chunk of the export holds.
const exportPage = 500

// Export writes the campaign as CSV (Admin, GM): the header row, then one row per item in
// id order, one chunk per page of items, so that no export holds the whole campaign.
// Reviewer ids are separated by ";"; times are RFC 3339 (empty when unset). A cell that a
// spreadsheet would read as a formula (=, +, -, @ first) is prefixed with "'".
func (s *Service) Export(ctx context.Context, id string, send func(chunk []byte) error) error {
	_, who, err := caller(ctx)
	if err != nil {
		return err
	}
	_, acc, err := s.visible(ctx, s.store, who, id)
	if err != nil {
		return err
	}
	if !acc.Manage {
		return errs.PermissionDenied("only an Admin or the General Manager exports access reviews")
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(ExportHeader); err != nil {
		return err
	}
	after := ""
	for {
		items, err := s.store.ListItems(ctx, store.ItemFilter{CampaignID: id}, store.Page{Size: exportPage, After: after})
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := w.Write(exportRow(it)); err != nil {
				return err
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
		if buf.Len() > 0 {
			if err := send(bytes.Clone(buf.Bytes())); err != nil {
				return err
			}
			buf.Reset()
		}
		if len(items) < exportPage {
			return nil
		}
		after = items[len(items)-1].ID
	}
}

func exportRow(it domain.Item) []string {
	row := []string{
		it.ID, it.UserID, it.UserEmail, it.UserName, it.AppID, it.AppName, it.Permission, timeCell(it.GrantTime),
		strings.Join(it.ReviewerIDs, ";"), string(it.Status), string(it.Decision), it.NewPermission, it.DecidedBy,
		timeCell(it.DecideTime), it.Justification, it.RequestID, it.RequestStatus, it.BlockedReason,
	}
	for i, c := range row {
		row[i] = defuse(c)
	}
	return row
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// defuse keeps a spreadsheet from running a cell as a formula (CSV injection).
func defuse(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
