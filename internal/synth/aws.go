package synth

import (
	"fmt"
	"strings"
)

// awsResources declares AWS resources for one service in six: queues and
// topics shared by several services, a bucket of its own, a shared table.
func awsResources(b *strings.Builder, i int) {
	switch i % 6 {
	case 1:
		fmt.Fprintf(b, "\t\taws: queues: [\"jobs-%d\"]\n", i%5)
	case 2:
		fmt.Fprintf(b, "\t\taws: buckets: [\"data-%d\"]\n", i)
	case 3:
		fmt.Fprintf(b, "\t\taws: tables: \"table-%d\": {access: \"readwrite\", partitionKey: {name: \"id\", type: \"S\"}}\n", i%4)
	case 4:
		fmt.Fprintf(b, "\t\taws: topics: \"events-%d\": access: \"publish\"\n", i%3)
	}
}
