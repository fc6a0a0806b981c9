package store

import (
	"encoding/json"
	"time"
)

// BackupRoutine is a cluster backup job (vzdump job) with every field of the
// plugin's BackupRoutine model and where its retention came from.
type BackupRoutine struct {
	Meta
	JobID                  string          `json:"job_id"`
	Enabled                bool            `json:"enabled"`
	Schedule               string          `json:"schedule"`
	NextRun                *time.Time      `json:"next_run"`
	Node                   string          `json:"node,omitempty"`
	Storage                string          `json:"storage"`
	Selection              []int           `json:"selection"`
	All                    bool            `json:"all"`
	Exclude                []int           `json:"exclude,omitempty"`
	Pool                   string          `json:"pool,omitempty"`
	Mode                   string          `json:"mode,omitempty"`
	Compress               string          `json:"compress,omitempty"`
	NotesTemplate          string          `json:"notes_template,omitempty"`
	Comment                string          `json:"comment,omitempty"`
	KeepLast               *int            `json:"keep_last"`
	KeepHourly             *int            `json:"keep_hourly"`
	KeepDaily              *int            `json:"keep_daily"`
	KeepWeekly             *int            `json:"keep_weekly"`
	KeepMonthly            *int            `json:"keep_monthly"`
	KeepYearly             *int            `json:"keep_yearly"`
	KeepAll                *bool           `json:"keep_all"`
	RetentionSource        string          `json:"retention_source"` // job, storage, default
	Bwlimit                *int            `json:"bwlimit"`
	Zstd                   *int            `json:"zstd"`
	IOWorkers              *int            `json:"io_workers"`
	Fleecing               string          `json:"fleecing,omitempty"`
	FleecingStorage        string          `json:"fleecing_storage,omitempty"`
	RepeatMissed           *bool           `json:"repeat_missed"`
	PBSChangeDetectionMode string          `json:"pbs_change_detection_mode,omitempty"`
	NotificationMode       string          `json:"notification_mode,omitempty"` // auto, legacy-sendmail, notification-system
	MailTo                 string          `json:"mailto,omitempty"`
	MailNotification       string          `json:"mailnotification,omitempty"` // always, failure
	Status                 string          `json:"status"`
	RawConfig              json.RawMessage `json:"raw_config,omitempty"`
}

func (*BackupRoutine) RecordKind() Kind    { return KindBackupRoutine }
func (r *BackupRoutine) RecordKey() string { return r.JobID }
func (r *BackupRoutine) markStale()        { r.Status = StatusStale }

// Replication is a storage replication job with its runtime state.
type Replication struct {
	Meta
	ReplicationID string          `json:"replication_id"`
	Guest         int             `json:"guest"`
	JobNum        int             `json:"jobnum"`
	Target        string          `json:"target"`
	Source        string          `json:"source,omitempty"`
	JobType       string          `json:"job_type"`
	Schedule      string          `json:"schedule"`
	Rate          *float64        `json:"rate"`
	Comment       string          `json:"comment,omitempty"`
	Disable       bool            `json:"disable"`
	RemoveJob     string          `json:"remove_job,omitempty"`
	Status        string          `json:"status"`
	RawConfig     json.RawMessage `json:"raw_config,omitempty"`
	LastSync      *time.Time      `json:"last_sync"`
	LastTry       *time.Time      `json:"last_try"`
	NextSync      *time.Time      `json:"next_sync"`
	Duration      Duration        `json:"duration"`
	FailCount     int             `json:"fail_count"`
	Error         string          `json:"error,omitempty"`
	State         string          `json:"state,omitempty"`
}

func (*Replication) RecordKind() Kind    { return KindReplication }
func (r *Replication) RecordKey() string { return r.ReplicationID }
func (r *Replication) markStale()        { r.Status = StatusStale }
