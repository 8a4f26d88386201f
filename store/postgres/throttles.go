package postgres

import "github.com/mfad/mfad"

func (t *tx) Throttle(key string) (*mfad.Throttle, error) {
	th := &mfad.Throttle{}
	err := t.row(`SELECT key, failures, until, updated FROM throttles WHERE key = $1`, key).Scan(
		&th.Key, &th.Failures, timeDest{T: &th.Until}, timeDest{T: &th.Updated})
	if err != nil {
		return nil, err
	}
	return th, nil
}

// PutThrottle inserts or replaces the throttle of th.Key.
func (t *tx) PutThrottle(th *mfad.Throttle) error {
	_, err := t.exec(`INSERT INTO throttles (key, failures, until, updated) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, until = excluded.until,
		updated = excluded.updated`, th.Key, th.Failures, nanos(th.Until), nanos(th.Updated))
	return err
}

func (t *tx) DeleteThrottle(key string) error {
	return t.execOne(`DELETE FROM throttles WHERE key = $1`, key)
}
