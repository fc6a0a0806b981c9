package tui

// tabSpecs is the tab registry: every tab, in display order (by tabID).
func tabSpecs() [tabCount]*tabSpec {
	return [tabCount]*tabSpec{
		endpointsTab(), storageTab(), backupsTab(), snapshotsTab(), tasksTab(), routinesTab(), replicationTab(), guestsTab(),
	}
}
