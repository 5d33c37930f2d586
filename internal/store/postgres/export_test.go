package postgres

// The queries whose plans plan_test.go checks.
const (
	ListFirstPageSQL   = listFirstPage
	ListPageAfterSQL   = listPageAfter
	StoryByIDSQL       = storySelect + ` WHERE s.id = $1`
	SimilarVersionsSQL = similarVersions
	ClusterMembersSQL  = clusterMembers
)
