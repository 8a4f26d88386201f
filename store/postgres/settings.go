package postgres

func (t *tx) Setting(key string) (string, error) {
	var v string
	err := t.row(`SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	return v, err
}

// PutSetting inserts or replaces the setting.
func (t *tx) PutSetting(key, value string) error {
	_, err := t.exec(`INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
