package sqlq

func (t Tx) Setting(key string) (string, error) {
	var v string
	err := t.row(`SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v, err
}

// PutSetting inserts or replaces the setting.
func (t Tx) PutSetting(key, value string) error {
	_, err := t.exec(`INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
