package webhook_test

import (
	"strconv"

	"github.com/quillpost/quillpost/internal/store/sqlstore"
)

type sqlitestore = sqlstore.Store

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
