package terraform

// nodeVolumeKey writes the KMS key that encrypts the root volumes of the
// nodes Karpenter launches (the EC2NodeClass names it by its alias ARN).
//
// Karpenter launches with instant EC2 fleets, which run with the caller's
// permissions (no EC2 Fleet service-linked role): the Karpenter
// controller's role must be able to use the key through EC2. The key
// policy grants it exactly that, restricted to calls EC2 makes on its
// behalf in the environment's region, and lets it create the grant EBS
// needs to attach the volume for the instance's lifetime.
func (b *builder) nodeVolumeKey() {
	const f = "data"
	n := b.n
	controller := n.RoleARN(n.KarpenterControllerRole())
	viaEC2 := equals("kms:ViaService", "ec2."+b.env.Region+".amazonaws.com")
	doc := b.policy(f, "kms_node_volumes",
		statement{
			Sid:        "AccountAdministersThroughIAM",
			Actions:    keyAdminActions,
			Resources:  []string{"*"}, // in a key policy, "*" is this key
			Principals: []principal{{Type: "AWS", Identifiers: []string{n.AccountRootARN()}}},
		},
		statement{
			Sid:        "KarpenterEncryptsNodeVolumesThroughEC2",
			Actions:    []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
			Resources:  []string{"*"},
			Principals: []principal{{Type: "AWS", Identifiers: []string{controller}}},
			Conditions: []condition{viaEC2},
		},
		statement{
			Sid:        "KarpenterGrantsEBSTheKey",
			Actions:    []string{"kms:CreateGrant"},
			Resources:  []string{"*"},
			Principals: []principal{{Type: "AWS", Identifiers: []string{controller}}},
			Conditions: []condition{viaEC2, {Test: "Bool", Variable: "kms:GrantIsForAWSResource", Values: []string{"true"}}},
		},
	)
	body := obj{
		"description":             "Root volumes of the nodes Karpenter launches in " + n.Cluster(),
		"enable_key_rotation":     true,
		"rotation_period_in_days": 365,
		"deletion_window_in_days": 30,
		"policy":                  doc,
		// KMS rejects a key policy naming a role that does not exist yet.
		"depends_on": []string{roleAddr("karpenter")},
	}
	if b.env.Prod() {
		// As every prod key (keyIn): the volumes it encrypts would be lost.
		body["lifecycle"] = obj{"prevent_destroy": true}
	}
	key := b.resource(f, "aws_kms_key", "node_volumes", body)
	b.resource(f, "aws_kms_alias", "node_volumes", obj{"name": n.NodeVolumeKeyAlias(), "target_key_id": ref(key, "key_id")})
}
