package cost

import "slices"

// The prices of the bill's items that are not EC2 instances, as data: AWS
// publishes them on JavaScript-rendered pricing pages (no module or file
// idpgen can generate them from, as package ec2types does for EC2), so
// each one below was read by hand, and carries where, when and what for.
// Nothing is fetched at run time. Update a price by editing its entry:
// the new figure, its source, the date of the page, and the day it was
// read.
//
// Regions: no source here gives a price per region that could be read.
// Either it gives one price for every region (the EKS blog, the KMS
// page), or only a US East figure: then Assumed is true, the figure is
// used for every region, and the estimate says so on the line of an
// environment outside US East.
//
// Usage (GB processed, NLCU-hours, KMS requests) is not known from the
// model: the estimate counts it as zero, and says so on each line with
// the unit price, so a reader can add their own traffic.

// Price is one unit price of the data.
type Price struct {
	Key  string  `json:"key"`
	Item string  `json:"item"`
	USD  float64 `json:"usd"`
	Unit string  `json:"unit"` // "hour", "month", "GB", "NLCU-hour", "10,000 requests"
	// Assumed: the source gives only a US East figure, used for every
	// region.
	Assumed bool `json:"usEastAssumed"`
	// Usage: a usage-based price, counted at zero usage.
	Usage    bool   `json:"usage"`
	Source   string `json:"source"`
	ByAWS    bool   `json:"byAWS"` // the source is AWS's own page; else a third party's
	PageDate string `json:"pageDate"`
	Read     string `json:"read"`
	Note     string `json:"note,omitempty"`
}

// Keys of Prices.
const (
	PriceEKSStandard   = "eks-standard"
	PriceEKSExtended   = "eks-extended"
	PriceNATHour       = "nat-hour"
	PriceNATGB         = "nat-gb"
	PriceNLBHour       = "nlb-hour"
	PriceNLCU          = "nlb-nlcu"
	PriceKMSKey        = "kms-key"
	PriceKMSRequests   = "kms-requests"
	PriceEndpointHour  = "endpoint-hour"
	PriceEndpointGB    = "endpoint-gb"
	pricesRead         = "2026-12-02"
	eksBlog            = "https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/"
	vpcPricing         = "https://aws.amazon.com/vpc/pricing/"
	elbPricing         = "https://aws.amazon.com/elasticloadbalancing/pricing/"
	kmsPricing         = "https://aws.amazon.com/kms/pricing/"
	privateLinkPricing = "https://aws.amazon.com/privatelink/pricing/"
)

// Prices is the price data, in the order of the bill.
var Prices = []Price{
	{Key: PriceEKSStandard, Item: "EKS control plane, standard support", USD: 0.10, Unit: "hour",
		Source: eksBlog, ByAWS: true, PageDate: "2024 (pricing effective from the April 2024 billing cycle; page updated for 1.21/1.22 as of 2024-04-01)", Read: pricesRead,
		Note: "per cluster; the blog gives one price for every region"},
	{Key: PriceEKSExtended, Item: "EKS control plane, extended support", USD: 0.60, Unit: "hour",
		Source: eksBlog, ByAWS: true, PageDate: "2024 (pricing effective from the April 2024 billing cycle; page updated for 1.21/1.22 as of 2024-04-01)", Read: pricesRead,
		Note: "per cluster, in total (not on top of the standard price); one price for every region"},
	{Key: PriceNATHour, Item: "NAT gateway", USD: 0.045, Unit: "hour", Assumed: true,
		Source: vpcPricing, ByAWS: true, PageDate: "not dated; its figures read from a transcription of the page made 2026-09-20 (github.com/api-evangelist/amazon-vpc)", Read: pricesRead,
		Note: "the page's pricing example (US East (Ohio)); its region table is rendered by JavaScript and was not readable"},
	{Key: PriceNATGB, Item: "NAT gateway data processed", USD: 0.045, Unit: "GB", Assumed: true, Usage: true,
		Source: vpcPricing, ByAWS: true, PageDate: "not dated; its figures read from a transcription of the page made 2026-09-20 (github.com/api-evangelist/amazon-vpc)", Read: pricesRead,
		Note: "the page's pricing example (US East (Ohio))"},
	{Key: PriceNLBHour, Item: "Network Load Balancer", USD: 0.0225, Unit: "hour", Assumed: true,
		Source: "https://awsnegotiations.com/elastic-load-balancer-cost.html", PageDate: "May 2026", Read: pricesRead,
		Note: "third-party table (US East); AWS's page " + elbPricing + " renders its NLB hourly rate by JavaScript, and its examples give only the NLCU price"},
	{Key: PriceNLCU, Item: "Network Load Balancer capacity units", USD: 0.006, Unit: "NLCU-hour", Assumed: true, Usage: true,
		Source: elbPricing, ByAWS: true, PageDate: "not dated; its figures read from a transcription of the page made 2026-09-20 (github.com/api-evangelist/amazon-elastic-load-balancing)", Read: pricesRead,
		Note: "the page's pricing example for US-East-1"},
	{Key: PriceKMSKey, Item: "KMS key", USD: 1, Unit: "month",
		Source: kmsPricing, ByAWS: true, PageDate: "not dated", Read: pricesRead,
		Note: "per customer managed key, the same in every region; each automatic rotation adds $1/month (after the first year; not counted)"},
	{Key: PriceKMSRequests, Item: "KMS requests", USD: 0.03, Unit: "10,000 requests", Usage: true,
		Source: "https://www.wring.co/blog/aws-kms-pricing-guide", PageDate: "not dated", Read: pricesRead,
		Note: "third-party summary of " + kmsPricing + "; 20,000 requests a month are free across regions"},
	{Key: PriceEndpointHour, Item: "Interface VPC endpoint", USD: 0.01, Unit: "hour", Assumed: true,
		Source: "https://awsnegotiations.com/privatelink-cost-analysis.html", PageDate: "May 2026", Read: pricesRead,
		Note: "per endpoint per availability zone; third-party table (US East): AWS's page " + privateLinkPricing + " renders the hourly rate by JavaScript"},
	{Key: PriceEndpointGB, Item: "Interface VPC endpoint data processed", USD: 0.01, Unit: "GB", Usage: true,
		Source: privateLinkPricing, ByAWS: true, PageDate: "not dated", Read: pricesRead,
		Note: "first 1 PB a month in a region; the page's table has no region selector"},
}

// priceOf returns the entry of Prices with key.
func priceOf(key string) Price {
	i := slices.IndexFunc(Prices, func(p Price) bool { return p.Key == key })
	if i < 0 {
		panic("cost: no price " + key)
	}
	return Prices[i]
}

// assumedIn reports whether p is a US East price assumed for region.
func (p Price) assumedIn(region string) bool {
	return p.Assumed && region != "us-east-1" && region != "us-east-2"
}
