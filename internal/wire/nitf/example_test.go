package nitf_test

import (
	"fmt"

	"github.com/wiredesk/wiredesk/internal/wire/nitf"
)

func ExampleBodyToHTML() {
	html, err := nitf.BodyToHTML([]byte(
		`<p>Shares of <org value="ACME">Acme</org> rose <num>3</num>%.</p>` +
			`<block><hl2>Outlook</hl2><p>More <em>soon</em>.</p></block>`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(html)
	// Output: <p>Shares of Acme rose 3%.</p><h2>Outlook</h2><p>More <em>soon</em>.</p>
}
