# Module « site statique » du TP CloudMentor@Scale : un bucket S3 privé servi par CloudFront.
variable "nom" { type = string }
variable "environnement" { type = string }
variable "etiquettes" {
  type    = map(string)
  default = {}
}

resource "aws_s3_bucket" "site" {
  bucket = "${var.nom}-${var.environnement}"
  tags   = merge(var.etiquettes, { environnement = var.environnement, gere_par = "terraform" })
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

output "nom_bucket" { value = aws_s3_bucket.site.bucket }
